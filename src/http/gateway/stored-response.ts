import { errorToHttp } from '../../core/http/error-status.ts'
import { isKafkaIpcError, KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { readBounded } from './bounded-read.ts'

/**
 * A final answer kept to be given again — to the poll of an async request, or to the retry of an
 * idempotent one: status, headers and the whole body.
 *
 * @example
 * ```ts
 * const stored: StoredResponse = { status: 201, headers: [['content-type', 'application/json']], body: new TextEncoder().encode('{"id":"Q1"}'), resendable: false }
 * ```
 */
export interface StoredResponse {
  readonly status: number
  readonly headers: readonly (readonly [string, string])[]
  readonly body: Uint8Array | undefined
  /**
   * True when no answer came and the request may be sent again under the same message id: it was
   * refused before it was sent (an unknown service, a broker out of reach) or by the broker. Such
   * a result is not kept for an idempotency key, so that a retry is sent; the service would still
   * run the id at most once. A deadline that passed is not resendable: the request may have
   * reached the service, which drops a copy of an id it has seen, so the id is spent.
   */
  readonly resendable: boolean
}

/**
 * Reads a response whole, to keep it. A body larger than `limit` is not kept: the result becomes
 * `502 KIPC_RESULT_TOO_LARGE` (the service answered, the gateway cannot hold it — ask without
 * `Prefer: respond-async` and `Idempotency-Key` to stream it). A body that fails part-way (a
 * stream's error or deadline) is kept as that error.
 *
 * @example
 * ```ts
 * const stored = await storeResponse(await client.fetch('kafka://pricing/quotes/7'), 1_048_576, false)
 * ```
 */
export async function storeResponse(response: Response, limit: number, resendable: boolean): Promise<StoredResponse> {
  const headers = [...response.headers].map(([name, value]) => [name, value] as const)
  if (response.body === null) return { status: response.status, headers, body: undefined, resendable }
  let body: Uint8Array | undefined
  try {
    body = await readBounded(response.body as ReadableStream<Uint8Array>, limit)
  } catch (error) {
    return storedError(error, false)
  }
  if (body === undefined) {
    return storedError(new KafkaIpcError('KIPC_RESULT_TOO_LARGE', `The answer's body is larger than the ${String(limit)} bytes this gateway keeps for async and idempotent requests (results.maxBodyBytes); ask without Prefer: respond-async and Idempotency-Key to have it streamed.`, { details: { limitBytes: limit } }), false)
  }
  return { status: response.status, headers, body, resendable }
}

/**
 * An error as a stored answer: its status and JSON error body ({@link errorToHttp}).
 *
 * @example
 * ```ts
 * storedError(new KafkaIpcError('KIPC_TIMEOUT', 'No answer in 2000 ms'), false).status // 504
 * ```
 */
export function storedError(error: unknown, resendable: boolean): StoredResponse {
  const { status, headers, body } = errorToHttp(asGatewayError(error))
  return { status, headers: Object.entries(headers), body: new TextEncoder().encode(JSON.stringify(body)), resendable }
}

/**
 * A stored answer as a new `Response` (each replay gets its own body), with `extra` headers.
 *
 * @example
 * ```ts
 * return replay(stored, { 'idempotent-replayed': 'true' })
 * ```
 */
export function replay(stored: StoredResponse, extra: Readonly<Record<string, string>> = {}): Response {
  const headers = new Headers()
  for (const [name, value] of stored.headers) headers.append(name, value)
  for (const [name, value] of Object.entries(extra)) headers.set(name, value)
  const bodiless = stored.status === 204 || stored.status === 304 || stored.body === undefined || stored.body.byteLength === 0
  return new Response(bodiless ? null : stored.body.slice(), { status: stored.status, headers })
}

/**
 * Every failure the gateway answers for as a KafkaIpcError: anything else reaching here is a
 * defect of the gateway, reported as such rather than blamed on a service.
 *
 * @example
 * ```ts
 * errorToHttp(asGatewayError(new TypeError('boom'))).body.code // 'KIPC_HANDLER_ERROR'
 * ```
 */
export function asGatewayError(error: unknown): KafkaIpcError {
  if (isKafkaIpcError(error)) return error
  return new KafkaIpcError('KIPC_HANDLER_ERROR', `The gateway failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
}
