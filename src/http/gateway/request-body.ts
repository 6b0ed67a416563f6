import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { readBounded } from './bounded-read.ts'

/**
 * Reads a request's body, at most `limit` bytes: a `Content-Length` over the limit is refused
 * before a byte is read, and a body without one (chunked) is counted while it streams and
 * abandoned as soon as it passes the limit — a gateway never holds more than `limit` bytes of
 * one request. Both fail with `413 KIPC_PAYLOAD_TOO_LARGE`. `GET` and `HEAD` carry no body.
 *
 * @example
 * ```ts
 * const body = await readRequestBody(request, 1_048_576) // Uint8Array, or undefined when empty
 * ```
 */
export async function readRequestBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (request.method === 'GET' || request.method === 'HEAD') return undefined
  const declared = request.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge(limit, Number(declared))
  if (request.body === null) return undefined
  let body: Uint8Array | undefined
  try {
    body = await readBounded(request.body, limit)
  } catch (error) {
    if (request.signal.aborted) throw new KafkaIpcError('KIPC_CANCELLED', 'The HTTP client went away while sending the request body.', { cause: error })
    throw new KafkaIpcError('KIPC_BAD_REQUEST', `The request body could not be read: ${(error as Error).message}`, { cause: error })
  }
  // Past the limit the body was abandoned: the rest is the server's to discard, not ours to buffer.
  if (body === undefined) throw tooLarge(limit, undefined)
  return body.byteLength === 0 ? undefined : body
}

function tooLarge(limit: number, declared: number | undefined): KafkaIpcError {
  const size = declared === undefined ? 'more than that' : `${String(declared)} bytes`
  return new KafkaIpcError('KIPC_PAYLOAD_TOO_LARGE', `The request body may be at most ${String(limit)} bytes (the gateway's maxBodyBytes); this one is ${size}.`, { details: { limitBytes: limit } })
}
