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
  #scratch = new Uint8Array(1_024)
  #view = new DataView(this.#scratch.buffer)
  readonly #encoder = new TextEncoder()
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
    let offset = lengthBytes
    // forEach, not for…of: iterating a Map's entries makes an array per header.
    answer.headers.forEach((value, name) => {
      offset = this.#putText(offset, name)
      offset = this.#putText(offset, value)
    })
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

  /** Writes `text` as UTF-8 after its length; header text is short ASCII, copied without calling into the encoder. */
  #putText(offset: number, text: string): number {
    const scratch = this.#scratch
    const start = offset + lengthBytes
    let index = 0
    for (; index < text.length; index++) {
      const code = text.charCodeAt(index)
      if (code > 0x7f) break
      scratch[start + index] = code
    }
    let written = index
    if (index < text.length) written += this.#encoder.encodeInto(text.slice(index), scratch.subarray(start + index)).written
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
    this.#scratch = new Uint8Array(Math.max(length, this.#scratch.byteLength * 2))
    this.#view = new DataView(this.#scratch.buffer)
  }

  #copyIn(data: Uint8Array, length: number, at: number): void {
    const bytes = (this.#bytes ??= new Uint8Array(this.#size))
    const start = at % this.#size
    const first = Math.min(length, this.#size - start)
    bytes.set(first === data.byteLength ? data : data.subarray(0, first), start)
    if (first < length) bytes.set(data.subarray(first, length), 0)
  }
}
