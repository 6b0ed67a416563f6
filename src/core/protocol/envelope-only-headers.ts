import { packedEnvelopeHeader } from './packed-envelope.ts'

/**
 * The headers of a received record whose one header is its packed envelope — every record kafka-ipc
 * writes without application headers: a read-only map of that one entry, held in one field
 * instead of a `Map`. A request is held from its fetch until its reply is acknowledged, so its
 * headers outlive young-generation collections under load; a `Map` of one entry takes about ten
 * times the bytes, and what survives those collections is what a responder's memory and its
 * garbage collector pay for (docs/performance.md).
 *
 * @example
 * ```ts
 * const headers = new EnvelopeOnlyHeaders('v=1;kind=event;id=Xq3v…;service=billing')
 * readEnvelope(headers).kind // 'event'
 * headers.get('kipc') // the packed text; any other name: undefined
 * ```
 */
export class EnvelopeOnlyHeaders implements ReadonlyMap<string, string> {
  /** The packed envelope's text, as the record carried it. */
  readonly packed: string

  constructor(packed: string) {
    this.packed = packed
  }

  get size(): number {
    return 1
  }

  get(name: string): string | undefined {
    return name === packedEnvelopeHeader ? this.packed : undefined
  }

  has(name: string): boolean {
    return name === packedEnvelopeHeader
  }

  forEach(callback: (value: string, name: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    callback.call(thisArg, this.packed, packedEnvelopeHeader, this)
  }

  *entries(): MapIterator<[string, string]> {
    yield [packedEnvelopeHeader, this.packed]
  }

  *keys(): MapIterator<string> {
    yield packedEnvelopeHeader
  }

  *values(): MapIterator<string> {
    yield this.packed
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries()
  }

  get [Symbol.toStringTag](): string {
    return 'Map'
  }

  /** Shown in logs and by `util.inspect` as the `Map` it stands for. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    return inspect(new Map(this), options)
  }
}
