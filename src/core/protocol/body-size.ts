import { KafkaIpcError } from '../kafka-ipc-error.ts'

/**
 * Fails with `KIPC_PAYLOAD_TOO_LARGE` when the body of a `kind` record — sent or received, always
 * the decompressed record value — is longer than the policy's `maxMessageBytes`. The one size rule
 * of every kind. It runs for every record: the message is built only when the check fails. It runs
 * on values already inflated: a compressed batch that would inflate too far is stopped before,
 * inside the Kafka client (docs/security.md#compressed-batches).
 *
 * @example
 * ```ts
 * checkBodySize(message.value.byteLength, policy.maxMessageBytes, 'request')
 * ```
 */
export function checkBodySize(bytes: number, limit: number, kind: string): void {
  if (bytes > limit) {
    throw new KafkaIpcError('KIPC_PAYLOAD_TOO_LARGE', `The ${kind} body is ${bytes} bytes; the policy allows ${limit} (maxMessageBytes).`, { details: { bytes, limit, kind } })
  }
}
