import type { Client } from '../../core/client.ts'
import { errorToHttp } from '../../core/http/error-status.ts'
import { isKafkaIpcError, KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { asGatewayError } from './stored-response.ts'

/**
 * What a gateway needs of a kafka-ipc {@link Client}: `fetch` over Kafka, and the policy's limits.
 *
 * @example
 * ```ts
 * const client: GatewayClient = createClient({ name: 'gateway' })
 * ```
 */
export type GatewayClient = Pick<Client, 'fetch' | 'policy'>

/**
 * One HTTP request as the call over Kafka it becomes.
 *
 * @example
 * ```ts
 * const call: ForwardedCall = { url: 'kafka://pricing/quotes?to=JFK', method: 'POST', headers: new Headers({ 'content-type': 'application/json' }), body, timeout: 2_000, id: undefined }
 * ```
 */
export interface ForwardedCall {
  /** `kafka://<service><path>?<query>`. */
  readonly url: string
  readonly method: string
  readonly headers: Headers
  readonly body: Uint8Array | undefined
  readonly timeout: number | undefined
  /** The message id (an idempotency key), also the record key so a retry lands in the same partition. */
  readonly id: string | undefined
}

/**
 * The answer to a forwarded call, and whether the call may be sent again under its id (see
 * `StoredResponse.resendable`).
 *
 * @example
 * ```ts
 * const { response, resendable }: Forwarded = await forward(client, call)
 * ```
 */
export interface Forwarded {
  readonly response: Response
  readonly resendable: boolean
}

/**
 * Sends one call over Kafka and resolves with the answer as a `Response`, whatever its status —
 * the service's own, or, when no answer can come (deadline, unknown service, shutdown, a request
 * the client refuses), the local error's status and JSON body. It never rejects. `signal` is the
 * HTTP client's: when it goes away, the call is cancelled (a stream's responder is told to stop).
 *
 * @example
 * ```ts
 * const { response } = await forward(client, { url: 'kafka://pricing/quotes/7', method: 'GET', headers: new Headers(), body: undefined, timeout: 2_000, id: undefined }, request.signal)
 * ```
 */
export async function forward(client: GatewayClient, call: ForwardedCall, signal?: AbortSignal): Promise<Forwarded> {
  try {
    const response = await client.fetch(call.url, {
      method: call.method,
      headers: call.headers,
      ...(call.body === undefined ? {} : { body: call.body }),
      ...(call.timeout === undefined ? {} : { timeout: call.timeout }),
      ...(call.id === undefined ? {} : { id: call.id, key: call.id }),
      ...(signal === undefined ? {} : { signal }),
    })
    return { response, resendable: false }
  } catch (error) {
    // The fetch rejects with the signal's reason, which is not ours to report.
    const failure = signal?.aborted === true ? new KafkaIpcError('KIPC_CANCELLED', 'The HTTP client went away before the answer came.', { cause: error }) : error
    // Past a deadline or a cancel the request may have reached the service: its id is spent.
    const spent = isKafkaIpcError(failure, 'KIPC_TIMEOUT') || isKafkaIpcError(failure, 'KIPC_CANCELLED')
    return { response: errorResponse(failure), resendable: !spent }
  }
}

/**
 * An error as the gateway answers it: its status and the JSON error body `{ code, message,
 * retryable }` — the one table of {@link errorToHttp}, the same shape a remote error has.
 *
 * @example
 * ```ts
 * return errorResponse(new KafkaIpcError('KIPC_NOT_FOUND', 'Nothing is exposed at GET /x.'))
 * ```
 */
export function errorResponse(error: unknown): Response {
  const { status, headers, body } = errorToHttp(asGatewayError(error))
  return Response.json(body, { status, headers })
}
