import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { checkMessageId } from '../../core/protocol/message-id.ts'

/**
 * The request headers the gateway itself reads (docs/gateway.md): the deadline, the idempotency
 * key and `Prefer: respond-async`. The first two are consumed; of `Prefer`, only the
 * preferences other than `respond-async` travel on.
 *
 * @example
 * ```ts
 * await fetch(`${gateway}/pricing/quotes`, { method: 'POST', headers: { [gatewayHeaders.timeout]: '2000' }, body })
 * ```
 */
export const gatewayHeaders = {
  /** Milliseconds until the deadline of the call and of a streamed body. */
  timeout: 'x-timeout-ms',
  /** The request's message id; a retry with the same key is answered with the first answer. */
  idempotencyKey: 'idempotency-key',
  /** `respond-async`: answer 202 at once, with a location to poll for the result. */
  prefer: 'prefer',
} as const

/**
 * Headers that describe one HTTP connection, not the message (RFC 9110 §7.6.1), or that the
 * record's own framing replaces: a gateway is a hop, so none of them travels on.
 */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect'])

/**
 * What the gateway's own headers ask of one request.
 *
 * @example
 * ```ts
 * const controls: Controls = readControls(request.headers, client.policy.maxTimeoutMs)
 * if (controls.respondAsync) console.log('answer 202 now, the result later')
 * ```
 */
export interface Controls {
  /** The deadline in ms, capped at the policy's maxTimeoutMs; the policy's timeoutMs when absent. */
  readonly timeout: number | undefined
  /** The `Idempotency-Key`, checked as a message id. */
  readonly idempotencyKey: string | undefined
  /** `Prefer: respond-async` was asked. */
  readonly respondAsync: boolean
  /** The other preferences of `Prefer`, which the service may honour; none when empty. */
  readonly otherPreferences: string | undefined
}

/**
 * Reads the gateway's headers of a request; a malformed value is the caller's mistake, refused
 * with `400 KIPC_BAD_REQUEST` before anything is sent.
 *
 * @example
 * ```ts
 * readControls(new Headers({ 'x-timeout-ms': '2000', prefer: 'respond-async' }), 3_600_000)
 * // { timeout: 2000, idempotencyKey: undefined, respondAsync: true, otherPreferences: undefined }
 * ```
 */
export function readControls(headers: Headers, maxTimeoutMs: number): Controls {
  const preferences = splitPreferences(headers.get(gatewayHeaders.prefer))
  const others = preferences.filter((preference) => preferenceName(preference) !== 'respond-async')
  return {
    timeout: readTimeout(headers.get(gatewayHeaders.timeout), maxTimeoutMs),
    idempotencyKey: readIdempotencyKey(headers.get(gatewayHeaders.idempotencyKey)),
    respondAsync: others.length < preferences.length,
    otherPreferences: others.length === 0 ? undefined : others.join(', '),
  }
}

/**
 * The headers that travel on to the service: every header but the hop-by-hop ones (and those the
 * `Connection` header names) and the gateway's own.
 *
 * @example
 * ```ts
 * const headers = forwardedHeaders(request.headers, readControls(request.headers, policy.maxTimeoutMs))
 * ```
 */
export function forwardedHeaders(headers: Headers, controls: Controls): Headers {
  const named = new Set((headers.get('connection') ?? '').split(',').map((name) => name.trim().toLowerCase()))
  const result = new Headers()
  for (const [name, value] of headers) {
    if (hopByHop.has(name) || named.has(name) || name === gatewayHeaders.timeout || name === gatewayHeaders.idempotencyKey || name === gatewayHeaders.prefer) continue
    result.append(name, value)
  }
  if (controls.otherPreferences !== undefined) result.set(gatewayHeaders.prefer, controls.otherPreferences)
  return result
}

function readTimeout(value: string | null, maxTimeoutMs: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (!/^\d{1,15}$/.test(text) || Number(text) === 0) {
    throw new KafkaIpcError('KIPC_BAD_REQUEST', `${gatewayHeaders.timeout} must be a whole number of milliseconds greater than 0, got ${JSON.stringify(value.slice(0, 40))}.`)
  }
  // Capped rather than refused: the caller asks for at most this long, the fleet's policy decides.
  return Math.min(Number(text), maxTimeoutMs)
}

function readIdempotencyKey(value: string | null): string | undefined {
  if (value === null) return undefined
  const text = value.trim()
  // The IETF draft writes the key as a structured-field string ("…"); most APIs send it bare.
  const key = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text
  try {
    return checkMessageId(key)
  } catch (error) {
    throw new KafkaIpcError('KIPC_BAD_REQUEST', `Idempotency-Key must be 16–128 characters of letters, digits, '_', '.', ':' and '-' (it becomes the request's message id), got ${JSON.stringify(value.slice(0, 40))}.`, { cause: error })
  }
}

/** RFC 7240: preferences separated by commas, each `name[=value][; parameters]`. */
function splitPreferences(value: string | null): string[] {
  if (value === null) return []
  return value
    .split(',')
    .map((preference) => preference.trim())
    .filter((preference) => preference !== '')
}

function preferenceName(preference: string): string {
  return (preference.split(/[=;]/, 1)[0] ?? '').trim().toLowerCase()
}
