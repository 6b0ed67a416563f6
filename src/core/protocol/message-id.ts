import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { KafkaIpcError } from '../kafka-ipc-error.ts'

let entropy = Buffer.alloc(0)
let entropyOffset = 0

/**
 * A new message id: 16 random bytes, base64url — unique, unguessable (a request id is what a
 * cancel names), short, safe in a header. Bytes come from a pooled 4 KiB draw: one system call per
 * 256 ids instead of one per id, on the hot path of every message.
 */
export function newMessageId(): string {
  if (entropyOffset + 16 > entropy.length) {
    entropy = randomBytes(4096)
    entropyOffset = 0
  }
  const id = entropy.toString('base64url', entropyOffset, entropyOffset + 16)
  entropyOffset += 16
  return id
}

/**
 * Checks a message id a caller chooses (an idempotency key): 16–128 characters of
 * `[A-Za-z0-9_.:-]`. At least 16, because a request's id is what a cancel names: a short one would
 * be guessable.
 *
 * @example
 * ```ts
 * checkMessageId('order-7f3a9c2e-retry-safe') // returns it
 * ```
 */
export function checkMessageId(id: string): string {
  if (!/^[A-Za-z0-9_.:-]{16,128}$/.test(id)) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A message id must be 16–128 characters of letters, digits, '_', '.', ':' and '-', got ${JSON.stringify(id.slice(0, 40))}.`)
  }
  return id
}
