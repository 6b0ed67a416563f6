import type { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import type { WireHeaders } from '../core/protocol/headers.ts'
import type { IncomingMessage } from '../core/transport.ts'

/**
 * One record received, in the transport-neutral shape: a class, not an object literal. A request
 * is held until its handler has answered and its offset is committed — under load, past a
 * young-generation collection — and V8 allocates every later object of a literal whose objects
 * outlive such collections straight in the old generation, where each one then keeps its young
 * header map, key and value alive until the next full collection, dead or not. Instances made
 * with `new` are not placed that way (core/protocol/outgoing-record.ts says more).
 *
 * @example
 * ```ts
 * onMessage(new ReceivedRecord('orders.requests', 0, 42n, undefined, headers, value, Date.now(), undefined))
 * ```
 */
export class ReceivedRecord implements IncomingMessage {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: string | undefined
  readonly headers: WireHeaders
  readonly value: Uint8Array
  readonly timestamp: number
  readonly rejected: KafkaIpcError | undefined

  constructor(topic: string, partition: number, offset: bigint, key: string | undefined, headers: WireHeaders, value: Uint8Array, timestamp: number, rejected: KafkaIpcError | undefined) {
    this.topic = topic
    this.partition = partition
    this.offset = offset
    this.key = key
    this.headers = headers
    this.value = value
    this.timestamp = timestamp
    this.rejected = rejected
  }
}
