import { Buffer } from 'node:buffer'
import type { StoredAnswer } from './deduplication-store.ts'

/** What a header name or value and a body length take before their bytes. */
const lengthBytes = 4

/**
 * Replies kept for duplicates, serialized one after another into one ring of bytes: a new reply
 * overwrites the oldest ones, and a reply is readable while the bytes written since it are fewer
 * than the ring holds. One buffer instead of an object per reply keeps a busy service's last
 * minutes of replies out of the garbage collector's way (docs/decisions/0010).
 *
 * The ring is allocated at its first reply; its pages cost memory only once written.
 *
 * @example
 * ```ts
 * const ring = new AnswerRing(16 * 1_048_576)
 * const at = ring.write(answer, 65_536)
 * if (at !== undefined) ring.read(at, ring.lastLength) // the same headers and bytes, or undefined once overwritten
 * ```
 */
export class AnswerRing {
  readonly #size: number
  #bytes: Uint8Array | undefined
  /** Bytes written since the ring was made: a reply written at `at` is intact while `at >= written - size`. */
  #written = 0
  // A Buffer: its write() and copy() encode and copy without an object made per call.
  #scratch = Buffer.allocUnsafe(1_024)
  #view = new DataView(this.#scratch.buffer, this.#scratch.byteOffset, this.#scratch.byteLength)
  /** Where the next header text goes in the scratch buffer, while a reply's headers are written. */
  #offset = 0
  readonly #decoder = new TextDecoder()
  /** The serialized length of the reply last written. */
  lastLength = 0

  constructor(size: number) {
    this.#size = size
  }

  /**
   * Writes `answer` and returns where, for {@link read} with {@link lastLength}; one that takes
   * more than `limit` bytes (or than the ring holds) is not written: undefined.
   */
  write(answer: StoredAnswer, limit: number): number | undefined {
    this.#reserve(answer)
    const scratch = this.#scratch
    const view = this.#view
    this.#offset = lengthBytes
    // forEach with a method and this, not for…of (an array per header) nor an arrow (a closure per reply).
    answer.headers.forEach(this.#putHeader, this)
    const offset = this.#offset
    view.setUint32(0, answer.headers.size)
    view.setUint32(offset, answer.value.byteLength)
    scratch.set(answer.value, offset + lengthBytes)
    const length = offset + lengthBytes + answer.value.byteLength
    if (length > limit || length > this.#size) return undefined
    const at = this.#written
    this.#copyIn(scratch, length, at)
    this.#written += length
    this.lastLength = length
    return at
  }

  /** The reply written at `at`, `length` bytes long, or undefined when newer replies overwrote it. */
  read(at: number, length: number): StoredAnswer | undefined {
    const bytes = this.#bytes
    if (bytes === undefined || at < this.#written - this.#size) return undefined
    const copy = new Uint8Array(length)
    const start = at % this.#size
    const first = Math.min(length, this.#size - start)
    copy.set(bytes.subarray(start, start + first))
    if (first < length) copy.set(bytes.subarray(0, length - first), first)
    const view = new DataView(copy.buffer)
    const headers = new Map<string, string>()
    let offset = lengthBytes
    for (let count = view.getUint32(0); count > 0; count--) {
      const nameLength = view.getUint32(offset)
      const name = this.#decoder.decode(copy.subarray(offset + lengthBytes, offset + lengthBytes + nameLength))
      offset += lengthBytes + nameLength
      const valueLength = view.getUint32(offset)
      const value = this.#decoder.decode(copy.subarray(offset + lengthBytes, offset + lengthBytes + valueLength))
      offset += lengthBytes + valueLength
      headers.set(name, value)
    }
    const bodyLength = view.getUint32(offset)
    return { headers, value: copy.slice(offset + lengthBytes, offset + lengthBytes + bodyLength) }
  }

  /** Writes one header's name and value at {@link #offset}, for `Map.forEach`. */
  #putHeader(this: AnswerRing, value: string, name: string): void {
    this.#offset = this.#putText(this.#putText(this.#offset, name), value)
  }

  /** Writes `text` as UTF-8 after its length; there is room: {@link #reserve} made it. */
  #putText(offset: number, text: string): number {
    const start = offset + lengthBytes
    const written = this.#scratch.write(text, start, 'utf8')
    this.#view.setUint32(offset, written)
    return start + written
  }

  /** Makes the scratch buffer large enough for `answer` serialized: UTF-8 takes at most three bytes per UTF-16 code unit. */
  #reserve(answer: StoredAnswer): void {
    let length = lengthBytes * 2 + answer.value.byteLength
    answer.headers.forEach((value, name) => {
      length += lengthBytes * 2 + (name.length + value.length) * 3
    })
    if (this.#scratch.byteLength >= length) return
    this.#scratch = Buffer.allocUnsafe(Math.max(length, this.#scratch.byteLength * 2))
    this.#view = new DataView(this.#scratch.buffer, this.#scratch.byteOffset, this.#scratch.byteLength)
  }

  #copyIn(data: Buffer, length: number, at: number): void {
    const bytes = (this.#bytes ??= new Uint8Array(this.#size))
    const start = at % this.#size
    const first = Math.min(length, this.#size - start)
    data.copy(bytes, start, 0, first)
    if (first < length) data.copy(bytes, 0, first, length)
  }
}
