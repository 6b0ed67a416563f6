import { Buffer } from 'node:buffer'
import { KafkaIpcError } from '../kafka-ipc-error.ts'

/**
 * Turns bodies into record values and back. The policy picks one for the whole fleet; its
 * content type travels in the `content-type` header.
 *
 * @example
 * ```ts
 * const bytes = jsonCodec.encode({ price: 120 })
 * jsonCodec.decode(bytes) // { price: 120 }
 * ```
 */
export interface Codec {
  readonly contentType: string
  encode(value: unknown): Uint8Array
  decode(bytes: Uint8Array): unknown
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * JSON as UTF-8. `undefined` is the empty record value. Decoding never touches prototypes:
 * `JSON.parse` makes `__proto__` an ordinary own property, and kafka-ipc never merges bodies into
 * other objects.
 */
export const jsonCodec: Codec = {
  contentType: 'application/json',
  encode(value) {
    // Buffer.from copies small strings into Node's shared 8 KiB pool: several times faster than
    // TextEncoder, which gives every body its own ArrayBuffer (and the GC one more to track).
    // JSON.stringify gives undefined (despite its type) for functions and symbols: an empty body.
    const text = JSON.stringify(value) as string | undefined
    return text === undefined ? new Uint8Array(0) : Buffer.from(text)
  },
  decode(bytes) {
    if (bytes.byteLength === 0) return undefined
    try {
      return JSON.parse(decoder.decode(bytes)) as unknown
    } catch (error) {
      throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', 'The message body is not valid UTF-8 JSON.', { cause: error })
    }
  },
}
