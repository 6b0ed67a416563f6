import { Buffer } from 'node:buffer'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { headerLimits, isEnvelopeHeader, type WireHeaders } from '../protocol/headers.ts'
import { nullRecord } from '../null-record.ts'

/**
 * Headers that describe one HTTP connection rather than the message (RFC 9110 §7.6.1), and
 * `content-length`, which the record's own length replaces: none of them crosses Kafka.
 */
const connectionHeaders = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host'])

/** Statuses whose responses have no body (a Web `Response` refuses one). */
export const nullBodyStatuses: ReadonlySet<number> = new Set([204, 205, 304])

/** True for a header that frames or routes one HTTP connection, which never crosses Kafka. */
export function isConnectionHeader(name: string): boolean {
  return connectionHeaders.has(name)
}

/** The URL a mounted handler sees: `kafka://<service><path>?<query>`. */
export function kafkaUrl(service: string, path: string, query: string | undefined): string {
  return `kafka://${service}${path}${query === undefined ? '' : `?${query}`}`
}

/**
 * A request from the wire as a Web `Request` for a mounted handler. A method or header HTTP does
 * not allow is the caller's mistake: `400 KIPC_BAD_REQUEST`.
 *
 * @example
 * ```ts
 * const request = webRequest('pricing', { method: 'GET', path: '/quotes', query: 'to=JFK' }, headers, value, signal)
 * ```
 */
export function webRequest(service: string, target: { readonly method: string; readonly path: string; readonly query: string | undefined }, headers: Readonly<Record<string, string>>, body: Uint8Array, signal: AbortSignal): Request {
  const { method } = target
  const hasBody = method !== 'GET' && method !== 'HEAD' && body.byteLength > 0
  try {
    // Framing headers from the wire would misframe the app's request (a content-length the body does not have).
    const list = Object.entries(headers).filter(([name]) => !connectionHeaders.has(name))
    return new Request(kafkaUrl(service, target.path, target.query), { method, headers: list, ...(hasBody ? { body } : {}), signal })
  } catch (error) {
    throw new KafkaIpcError('KIPC_BAD_REQUEST', `The request cannot be read as HTTP: ${(error as Error).message}`, { cause: error })
  }
}

/**
 * The headers of a `Response` as they travel: lowercase, connection headers left out, several
 * `set-cookie` headers joined by newlines (one Kafka header each name), within the header limits.
 */
export function responseHeaders(headers: Headers): WireHeaders {
  const result: WireHeaders = new Map()
  for (const [name, value] of headers) {
    if (connectionHeaders.has(name) || isEnvelopeHeader(name)) continue
    const previous = result.get(name)
    result.set(name, previous === undefined ? value : `${previous}${name === 'set-cookie' ? '\n' : ', '}${value}`)
  }
  if (result.size > headerLimits.maxCount) throw new KafkaIpcError('KIPC_HANDLER_ERROR', `The response has ${result.size} headers; at most ${headerLimits.maxCount} can be sent.`)
  for (const [name, value] of result) {
    if (Buffer.byteLength(value) > headerLimits.maxValueLength) throw new KafkaIpcError('KIPC_HANDLER_ERROR', `The response header ${name} is longer than ${headerLimits.maxValueLength} bytes.`)
  }
  return result
}

/**
 * Headers from the wire for a Web `Headers`: the envelope (`kipc-*`) left out, `set-cookie` values
 * split back into one each, and `impliedContentType` as the `content-type` of a record that
 * carried none (the codec's type of a body sent untyped).
 */
export function toHeaderList(headers: ReadonlyMap<string, string>, impliedContentType?: string): [string, string][] {
  const list: [string, string][] = []
  for (const [name, value] of headers) {
    if (isEnvelopeHeader(name) || connectionHeaders.has(name)) continue
    if (name === 'set-cookie' && value.includes('\n')) for (const cookie of value.split('\n')) list.push([name, cookie])
    else list.push([name, value])
  }
  if (impliedContentType !== undefined && !headers.has('content-type')) list.push(['content-type', impliedContentType])
  return list
}

/**
 * A Web request's headers as they travel: every name but the connection headers, which describe
 * the hop the request arrived on.
 */
export function requestHeaders(headers: Headers): Record<string, string> {
  const result = nullRecord<string>()
  for (const [name, value] of headers) addRequestHeader(result, name, value)
  return result
}

/**
 * Adds one request header (a lowercase name) as it travels: a connection header is left out, a
 * repeated name joins its values with `, ` as HTTP does.
 *
 * @example
 * ```ts
 * addRequestHeader(headers, 'accept', 'application/json')
 * ```
 */
export function addRequestHeader(result: Record<string, string>, name: string, value: string): void {
  if (connectionHeaders.has(name)) return
  const previous = result[name]
  result[name] = previous === undefined ? value : `${previous}, ${value}`
}
