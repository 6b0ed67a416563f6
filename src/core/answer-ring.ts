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
  /** The ring, a Buffer over lazily mapped zeroed memory: its write() encodes without an object per call. */
  #bytes: Buffer | undefined
  /** A view of the ring for its lengths, made with it ({@link #makeRing}); until then unused. */
  #bytesView = new DataView(new ArrayBuffer(0))
  /** Bytes written since the ring was made: a reply written at `at` is intact while `at >= written - size`. */
  #written = 0
  /** Where a reply that would not fit before the ring's end (or a limit) is serialized first. */
  #scratch = Buffer.allocUnsafe(1_024)
  #scratchView = new DataView(this.#scratch.buffer, this.#scratch.byteOffset, this.#scratch.byteLength)
  /** Where a reply's headers are being written: the ring or the scratch buffer, and the next offset in it. */
  #target: Buffer = this.#scratch
  #targetView: DataView = this.#scratchView
  #offset = 0
  /** The most bytes the headers of the reply being measured may take ({@link #measureHeader}). */
  #bound = 0
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
    // forEach with a method and this, not for…of (an array per header) nor an arrow (a closure per reply).
    this.#bound = lengthBytes * 2 + answer.value.byteLength
    answer.headers.forEach(this.#measureHeader, this)
    const bound = this.#bound
    const at = this.#written
    const start = at % this.#size
    let length: number
    if (bound <= limit && bound <= this.#size - start) {
      // The usual case: serialized straight into the ring, where it surely fits — the oldest
      // replies it overwrites would be overwritten by any way of writing it.
      const ring = (this.#bytes ??= this.#makeRing())
      length = this.#serialize(ring, this.#bytesView, start, answer)
    } else {
      // Near the ring's end, or possibly over the limit: measured in the scratch buffer first, so
      // that a reply not kept overwrites nothing, and one that is kept can wrap around.
      if (this.#scratch.byteLength < bound) {
        this.#scratch = Buffer.allocUnsafe(Math.max(bound, this.#scratch.byteLength * 2))
        this.#scratchView = new DataView(this.#scratch.buffer, this.#scratch.byteOffset, this.#scratch.byteLength)
      }
      length = this.#serialize(this.#scratch, this.#scratchView, 0, answer)
      if (length > limit || length > this.#size) return undefined
      this.#copyIn(this.#scratch, length, at)
    }
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

  /**
   * Serializes `answer` into `target` from `base` — header count, each name and value after its
   * length, the body after its length — and returns how many bytes it took; the room is there.
   */
  #serialize(target: Buffer, view: DataView, base: number, answer: StoredAnswer): number {
    this.#target = target
    this.#targetView = view
    this.#offset = base + lengthBytes
    answer.headers.forEach(this.#putHeader, this)
    const offset = this.#offset
    view.setUint32(base, answer.headers.size)
    view.setUint32(offset, answer.value.byteLength)
    target.set(answer.value, offset + lengthBytes)
    return offset + lengthBytes + answer.value.byteLength - base
  }

  /** Adds what one header may take to {@link #bound}, for `Map.forEach`: UTF-8 takes at most three bytes per UTF-16 code unit. */
  #measureHeader(this: AnswerRing, value: string, name: string): void {
    this.#bound += lengthBytes * 2 + (name.length + value.length) * 3
  }

  /** Writes one header's name and value at {@link #offset}, for `Map.forEach`. */
  #putHeader(this: AnswerRing, value: string, name: string): void {
    this.#offset = this.#putText(this.#putText(this.#offset, name), value)
  }

  /** Writes `text` as UTF-8 after its length, in the target; there is room: {@link write} measured it. */
  #putText(offset: number, text: string): number {
    const start = offset + lengthBytes
    const written = this.#target.write(text, start, 'utf8')
    this.#targetView.setUint32(offset, written)
    return start + written
  }

  /** The ring's memory: zeroed pages the system maps as they are first written, so an idle ring costs nothing. */
  #makeRing(): Buffer {
    const memory = new Uint8Array(this.#size)
    this.#bytesView = new DataView(memory.buffer)
    return Buffer.from(memory.buffer, 0, this.#size)
  }

  #copyIn(data: Buffer, length: number, at: number): void {
    const bytes = (this.#bytes ??= this.#makeRing())
    const start = at % this.#size
    const first = Math.min(length, this.#size - start)
    data.copy(bytes, start, 0, first)
    if (first < length) data.copy(bytes, 0, first, length)
  }
}
