// A Transport for measuring kafka-ipc's own cost per message without a broker: every record is
// encoded as the Kafka transport encodes it for the client library (producedHeaders, the same
// serializers), copied as bytes as a fetch would bring it, turned back into a message by the Kafka
// transport's own toIncoming, and handed to the service through the same OrderedDispatcher —
// subscriptions — or straight to the inbox, a turn of the event loop after the send, in batches
// as fetches arrive. Each send is acknowledged once the batch it went in has been delivered, as a
// produce is acknowledged after its round trip. What it leaves out is the client library and the
// broker, which the raw references pay too. A bench tool, not a test double: the tests run on a
// real broker.
import type { InboxOptions, IncomingMessage, OutgoingMessage, SendOptions, SendReceipt, SubscribeOptions, Transport } from '../../src/core/transport.ts'
import type { ChannelHealth } from '../../src/core/channel-health.ts'
import { OrderedDispatcher } from '../../src/transports/ordered-dispatcher.ts'
import { recordBytes } from '../../src/transports/record-bytes.ts'
import { producedHeaders, producerSerializers, type RawMessage, toIncoming } from '../../src/transports/kafka/records.ts'

const partitions = 6

/**
 * The loopback transport and the time it spent delivering records (decoding them and running
 * everything the consumers did synchronously with them).
 *
 * @example
 * ```ts
 * const transport = new LoopbackTransport()
 * const app = new Service({ name: 'billing', policy, transport })
 * ```
 */
export class LoopbackTransport implements Transport {
  readonly name = 'loopback'
  /** Nanoseconds spent handing records over, since the last {@link resetClock}. */
  deliveryNs = 0n
  /** Nanoseconds spent standing in for the client library and the network (encoding and copying records): not kafka-ipc's. */
  standInNs = 0n
  #queue: OutgoingMessage[] = []
  /** The sends of the queued records, told once their batch is delivered. */
  #receipts: SendReceipt[] = []
  #scheduled = false
  #offset = 0n
  readonly #subscriptions = new Map<string, OrderedDispatcher<IncomingMessage>>()
  readonly #inboxes = new Map<string, (message: IncomingMessage) => void>()

  resetClock(): void {
    this.deliveryNs = 0n
    this.standInNs = 0n
  }

  ensureTopics(): Promise<void> {
    return Promise.resolve()
  }

  deleteTopics(): Promise<void> {
    return Promise.resolve()
  }

  groupMembers(): Promise<number> {
    return Promise.resolve(1)
  }

  partitionCount(topic: string): Promise<number> {
    return Promise.resolve(this.#inboxes.has(topic) ? 1 : partitions)
  }

  listTopics(): Promise<string[]> {
    return Promise.resolve([])
  }

  lastWrites(): Promise<Map<string, number | undefined>> {
    return Promise.resolve(new Map<string, number | undefined>())
  }

  send(messages: readonly OutgoingMessage[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.sendAndTell(messages, undefined, { sent: resolve, unsent: reject })
    })
  }

  sendAndTell(messages: readonly OutgoingMessage[], _options: SendOptions | undefined, receipt: SendReceipt): void {
    for (const message of messages) this.#queue.push(message)
    this.#receipts.push(receipt)
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => {
        this.#deliver()
      })
    }
  }

  subscribe(options: SubscribeOptions): Promise<{ assignments(): { topic: string; partition: number }[]; health(): ChannelHealth; lag(): Promise<[]>; close(): Promise<void> }> {
    const dispatcher = new OrderedDispatcher<IncomingMessage>({ maxInFlight: options.maxInFlight, sizeOf: recordBytes }, (message) => options.onMessage(message), () => undefined)
    for (const topic of options.topics) this.#subscriptions.set(topic, dispatcher)
    const name = `subscription ${options.group}`
    return Promise.resolve({
      assignments: () => options.topics.flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition }))),
      health: () => consuming(name),
      lag: () => Promise.resolve([]),
      close: () => dispatcher.drain(),
    })
  }

  openInbox(options: InboxOptions): Promise<{ address: string; health(): ChannelHealth; close(): Promise<void> }> {
    this.#inboxes.set(options.topic, options.onMessage)
    const name = `inbox ${options.topic}`
    return Promise.resolve({ address: `${options.topic}:0`, health: () => consuming(name), close: () => Promise.resolve() })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  #deliver(): void {
    this.#scheduled = false
    const batch = this.#queue
    const receipts = this.#receipts
    this.#queue = []
    this.#receipts = []
    // Encoded and copied on a clock of its own: that is the client library's and the network's part.
    const encoding = process.hrtime.bigint()
    const records = batch.map((message) => this.#asFetched(message))
    const started = process.hrtime.bigint()
    this.standInNs += started - encoding
    for (const record of records) {
      const message = toIncoming(record)
      const inbox = this.#inboxes.get(record.topic)
      if (inbox !== undefined) inbox(message)
      else this.#subscriptions.get(record.topic)?.take(message)
    }
    for (const receipt of receipts) receipt.sent()
    this.deliveryNs += process.hrtime.bigint() - started
  }

  /** The record as the consumer would parse it: key, value and headers as fresh bytes. */
  #asFetched(message: OutgoingMessage): RawMessage {
    const headers = producedHeaders(message.headers, 'packed')
    const headerEntries: [Buffer, Buffer][] = []
    for (const [name, value] of headers) headerEntries.push([copy(producerSerializers.headerKey(name)), copy(producerSerializers.headerValue(value))])
    const key = producerSerializers.key(message.key)
    const partition = message.partition ?? (key === undefined ? 0 : key.length % partitions)
    return {
      topic: message.topic,
      partition,
      offset: this.#offset++,
      key: key === undefined ? undefined : copy(key),
      value: copy(Buffer.from(message.value)),
      headers: new Map(),
      headerEntries,
      timestamp: BigInt(Date.now()),
      metadata: {},
      commit: () => undefined,
    } as unknown as RawMessage
  }
}

function copy(bytes: Buffer | undefined): Buffer {
  return bytes === undefined ? Buffer.alloc(0) : Buffer.from(bytes)
}

function consuming(name: string): ChannelHealth {
  return { name, state: 'consuming', since: 0, lastError: undefined, recoveries: 0, lastRecoveryMs: undefined }
}
