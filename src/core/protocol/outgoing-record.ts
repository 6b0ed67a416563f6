import type { WireHeaders } from './headers.ts'
import type { OutgoingMessage } from '../transport.ts'

/**
 * One record on its way out, as {@link buildMessage} makes it: a class, not an object literal,
 * because of how V8 places objects. V8 watches each object literal in the code and, once most of
 * what one made outlived a young-generation collection, allocates all its later objects in the
 * old generation ("allocation-site pretenuring"). A record lives until its produce is
 * acknowledged, so under load — a burst of 256 calls at once — its literal was pretenured: every
 * record after that went straight to the old generation, and the young objects it points to (its
 * header map, its value) were kept by it, dead or alive, until the next full collection, copied
 * at every young collection in between and then promoted. Instances made with `new` are not
 * pretenured that way (docs/performance.md, "Objects that outlive a young collection").
 *
 * @example
 * ```ts
 * const record = new OutgoingRecord('orders.requests', undefined, 'order-42', headers, value)
 * await transport.send(oneRecord(record))
 * ```
 */
export class OutgoingRecord implements OutgoingMessage {
  readonly topic: string
  declare readonly partition?: number
  declare readonly key?: string
  readonly headers: WireHeaders
  readonly value: Uint8Array

  constructor(topic: string, partition: number | undefined, key: string | undefined, headers: WireHeaders, value: Uint8Array) {
    this.topic = topic
    // Set only when present, as the interface types its optional fields (exactOptionalPropertyTypes:
    // absent, never holding undefined) — the shapes buildMessage's literals had.
    if (partition !== undefined) (this as { partition?: number }).partition = partition
    if (key !== undefined) (this as { key?: string }).key = key
    this.headers = headers
    this.value = value
  }
}
