import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { addRequestHeader, requestHeaders } from './web-messages.ts'

/** fetch's arguments read: the URL, the method, the headers as they travel, and the body's bytes (none when empty). */
export interface FetchArguments {
  readonly url: string
  readonly method: string
  readonly headers: Record<string, string>
  readonly body: Uint8Array | undefined
}

/** Methods fetch writes in upper case whatever case they are given in (the Fetch standard's "normalize"). */
const normalized = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'])
const forbidden = new Set(['CONNECT', 'TRACE', 'TRACK'])
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const encoder = new TextEncoder()

/**
 * Reads fetch's arguments as `new Request(input, init)` would. The common case — a URL and a
 * string or bytes body (or none) — is read directly: building a `Request` and reading its body
 * back as a stream costs more than the rest of a call. Anything else (a `Request`, a stream,
 * a form, a blob) goes through `Request`. What fetch would refuse is `KIPC_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * await readFetchArguments('kafka://pricing/quotes', { method: 'post', body: '{"to":"JFK"}' })
 * // { url: 'kafka://pricing/quotes', method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: <bytes> }
 * ```
 */
export function readFetchArguments(input: string | URL | Request, init: RequestInit): FetchArguments | Promise<FetchArguments> {
  const body = init.body ?? undefined
  if ((typeof input === 'string' || input instanceof URL) && (body === undefined || typeof body === 'string' || body instanceof Uint8Array)) {
    const method = readMethod(init.method ?? 'GET')
    const headers = readHeaders(init.headers)
    if (body !== undefined && (method === 'GET' || method === 'HEAD')) throw invalid(`a ${method} request cannot have a body`)
    if (typeof body === 'string') headers['content-type'] ??= 'text/plain;charset=UTF-8'
    return { url: String(input), method, headers, body: typeof body === 'string' ? encoder.encode(body) : body }
  }
  return throughRequest(input, init)
}

async function throughRequest(input: string | URL | Request, init: RequestInit): Promise<FetchArguments> {
  let request: Request
  try {
    request = new Request(input, init)
  } catch (error) {
    throw invalid((error as Error).message, error)
  }
  const method = request.method
  const bytes = method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(await request.arrayBuffer())
  return { url: request.url, method, headers: requestHeaders(request.headers), body: bytes === undefined || bytes.byteLength === 0 ? undefined : bytes }
}

function readMethod(method: string): string {
  if (!token.test(method)) throw invalid(`${JSON.stringify(method.slice(0, 40))} is not a valid HTTP method`)
  const upper = method.toUpperCase()
  if (forbidden.has(upper)) throw invalid(`'${method}' HTTP method is unsupported`)
  return normalized.has(upper) ? upper : method
}

/**
 * `init.headers` in any of its three shapes, as they travel. A plain object of strings — the usual
 * shape — is read as it is (names lowercased, values trimmed as `Headers` would); the wire's own
 * checks follow when the request is built. Any other shape goes through `Headers`.
 */
function readHeaders(init: RequestInit['headers']): Record<string, string> {
  if (init === undefined) return Object.create(null) as Record<string, string>
  if (typeof init === 'object' && !Array.isArray(init) && !(init instanceof Headers)) {
    const read = plainHeaders(init)
    if (read !== undefined) return read
  }
  try {
    return requestHeaders(new Headers(init))
  } catch (error) {
    throw invalid((error as Error).message, error)
  }
}

/**
 * A plain object of headers in one pass: names lowercased, values trimmed, connection headers left
 * out — or undefined when a value is not a string or holds a control character, for `Headers` to
 * refuse as fetch does.
 */
function plainHeaders(init: Record<string, unknown>): Record<string, string> | undefined {
  const result = Object.create(null) as Record<string, string>
  for (const name of Object.keys(init)) {
    const value = init[name]
    if (typeof value !== 'string' || controlCharacter.test(value)) return undefined
    addRequestHeader(result, name.toLowerCase(), value.trim())
  }
  return result
}

const controlCharacter = /[\r\n\0]/

function invalid(reason: string, cause?: unknown): KafkaIpcError {
  return new KafkaIpcError('KIPC_INVALID_ARGUMENT', `fetch over Kafka cannot read its request: ${reason}.`, cause === undefined ? {} : { cause })
}
