import { randomUUID } from 'node:crypto'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { defaultPolicy } from '../../core/policy.ts'
import { type Inbox, type InboxOptions, type OutgoingMessage, type Subscription, type SubscribeOptions, topicMissing, type TopicPartition, type TopicSpec, type Transport } from '../../core/transport.ts'
import { formatAddress } from '../../core/protocol/addresses.ts'
import { bufferBudget } from '../buffer-budget.ts'
import { ChannelTracker } from '../channel-tracker.ts'
import { OrderedDispatcher } from '../ordered-dispatcher.ts'
import { recordBytes } from '../record-bytes.ts'
import { MemoryBroker } from './memory-broker.ts'

/**
 * A {@link Transport} on a {@link MemoryBroker}: the same semantics as Kafka — partitions, keys,
 * consumer groups, committed offsets, private inboxes — in process, for unit tests of your
 * services. kafka-ipc's conformance suite runs on it and on Kafka alike.
 *
 * @example
 * ```ts
 * import { MemoryBroker, memoryTransport } from 'kafka-ipc/memory'
 * const broker = new MemoryBroker()
 * const pricing = createService({ name: 'pricing', transport: memoryTransport(broker) })
 * const booking = createClient({ name: 'booking', transport: memoryTransport(broker) })
 * ```
 */
export function memoryTransport(broker: MemoryBroker = new MemoryBroker()): Transport {
  return new MemoryTransport(broker)
}

class MemoryTransport implements Transport {
  readonly name = 'memory'
  readonly #broker: MemoryBroker
  #closed = false

  constructor(broker: MemoryBroker) {
    this.#broker = broker
  }

  ensureTopics(topics: readonly TopicSpec[], create: boolean): Promise<void> {
    for (const topic of topics) {
      if (this.#broker.hasTopic(topic.name)) continue
      if (!create) return Promise.reject(topicMissing(topic.name))
      this.#broker.createTopic(topic)
    }
    return Promise.resolve()
  }

  deleteTopics(names: readonly string[]): Promise<void> {
    for (const name of names) this.#broker.deleteTopic(name)
    return Promise.resolve()
  }

  groupMembers(group: string): Promise<number | undefined> {
    return Promise.resolve(this.#broker.groupMembers(group))
  }

  partitionCount(topic: string): Promise<number | undefined> {
    return Promise.resolve(this.#broker.partitionCount(topic))
  }

  listTopics(prefix: string): Promise<string[]> {
    return Promise.resolve(this.#broker.topicNames().filter((name) => name.startsWith(prefix)))
  }

  lastWrites(topics: readonly string[]): Promise<Map<string, number | undefined>> {
    return Promise.resolve(new Map(topics.filter((name) => this.#broker.hasTopic(name)).map((name) => [name, this.#broker.lastWrite(name)])))
  }

  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    this.#assertOpen()
    // A real broker answers asynchronously; so does this one, so no caller relies on sync delivery.
    await Promise.resolve()
    for (const message of messages) this.#broker.append(message)
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.#assertOpen()
    const broker = this.#broker
    // The same bound on records started as on Kafka. Nothing is fetched ahead here — the broker's
    // log is already in this process — so each partition's reader waits for room record by record.
    const limits = { maxInFlight: options.maxInFlight, maxInFlightBytes: bufferBudget(options.maxBufferedBytes ?? defaultPolicy.maxBufferedBytes).startedBytes, sizeOf: recordBytes }
    const dispatcher = new OrderedDispatcher(limits, options.onMessage, (record) => {
      broker.commit(options.group, record.topic, record.partition, record.offset + 1n)
    })
    const loops = new Map<string, AbortController>()
    const memberId = randomUUID()
    let closing = false
    // An in-process broker cannot fail over: the channel consumes from the start until closed.
    const tracker = new ChannelTracker(`subscription ${options.group}`, options.onState)
    tracker.consuming()
    const startLoop = (topic: string, partition: number): void => {
      const controller = new AbortController()
      loops.set(`${topic}:${partition}`, controller)
      const start = broker.committed(options.group, topic, partition) ?? (options.startFrom === 'earliest' ? 0n : broker.endOffset(topic, partition))
      void (async () => {
        let offset = start
        while (!controller.signal.aborted) {
          // A slice of the log at a time: a backlog of millions is not copied into one array.
          const records = await broker.read(topic, partition, offset, controller.signal, options.maxInFlight)
          for (const record of records) {
            if (isAborted(controller.signal)) return
            await dispatcher.push(record)
            offset = record.offset + 1n
          }
        }
      })().catch(options.onError)
    }
    broker.join(options.group, {
      id: memberId,
      topics: options.topics,
      assign(partitions) {
        if (closing) return
        const wanted = new Set(partitions.map(({ topic, partition }) => `${topic}:${partition}`))
        for (const [key, controller] of loops) {
          if (!wanted.has(key)) {
            controller.abort()
            loops.delete(key)
          }
        }
        for (const { topic, partition } of partitions) if (!loops.has(`${topic}:${partition}`)) startLoop(topic, partition)
      },
    })
    const assignments = (): TopicPartition[] =>
      [...loops.keys()].map((key) => {
        const separator = key.lastIndexOf(':')
        return { topic: key.slice(0, separator), partition: Number(key.slice(separator + 1)) }
      })
    return Promise.resolve({
      assignments,
      health: () => tracker.health(),
      buffered: () => ({ ...dispatcher.buffered, paused: dispatcher.saturated }),
      // As on Kafka: the end of each held partition's log minus the group's committed offset.
      lag: () =>
        Promise.resolve(
          assignments().map(({ topic, partition }) => {
            const end = broker.endOffset(topic, partition)
            const from = broker.committed(options.group, topic, partition) ?? (options.startFrom === 'earliest' ? 0n : end)
            return { topic, partition, lag: Number(end - from) }
          }),
        ),
      async close() {
        // As the Kafka transport does: stop reading, let the records in flight finish and commit,
        // and only then leave, so no other member is handed a record this one is still running.
        closing = true
        tracker.closed()
        for (const controller of loops.values()) controller.abort()
        loops.clear()
        dispatcher.discardQueued()
        await dispatcher.drain()
        broker.leave(options.group, memberId)
      },
    })
  }

  async openInbox(options: InboxOptions): Promise<Inbox> {
    this.#assertOpen()
    await this.ensureTopics([{ name: options.topic, partitions: 1, replication: 1, retentionMs: options.retentionMs }], options.create)
    const broker = this.#broker
    const controller = new AbortController()
    const tracker = new ChannelTracker(`inbox ${options.topic}`, options.onState)
    tracker.consuming()
    const start = broker.endOffset(options.topic, 0)
    void (async () => {
      let offset = start
      while (!controller.signal.aborted) {
        const records = await broker.read(options.topic, 0, offset, controller.signal)
        for (const record of records) {
          if (isAborted(controller.signal)) return
          options.onMessage(record)
          offset = record.offset + 1n
        }
        if (!broker.hasTopic(options.topic)) return
      }
    })().catch(options.onError)
    return {
      address: formatAddress(options.topic, 0),
      health: () => tracker.health(),
      close(deleteTopic) {
        tracker.closed()
        controller.abort()
        if (deleteTopic) broker.deleteTopic(options.topic)
        return Promise.resolve()
      },
    }
  }

  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  #assertOpen(): void {
    if (this.#closed) throw new KafkaIpcError('KIPC_UNAVAILABLE', 'This memory transport is closed.')
  }
}

/** Read through a call: the flag changes while the loop awaits, which type narrowing cannot see. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted
}
