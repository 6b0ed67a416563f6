import { randomBytes } from 'node:crypto'

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
