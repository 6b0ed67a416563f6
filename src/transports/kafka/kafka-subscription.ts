import { Consumer } from '@platformatic/kafka'
import type { Subscription, SubscribeOptions } from '../../core/transport.ts'
import { OrderedDispatcher } from '../ordered-dispatcher.ts'
import { CommitCoalescer } from './commit-coalescer.ts'
import type { KafkaConnection } from './kafka-transport.ts'
import { type Delivery, rawDeserializers, toDelivery } from './records.ts'

/**
 * A consumer group member on Kafka. Records go through the {@link OrderedDispatcher} (per-key
 * order, bounded concurrency); the stream pauses while the dispatcher is full. Offsets are
 * committed only past records whose handler finished — gathered for `commitIntervalMs` and sent
 * together ({@link CommitCoalescer}) — so a crash replays unfinished work instead of losing it.
 */
export async function subscribeKafka(connection: KafkaConnection, options: SubscribeOptions): Promise<Subscription> {
  const consumer = new Consumer({
    ...connection.base,
    clientId: `${connection.base.clientId}-${options.group}`,
    groupId: options.group,
    deserializers: rawDeserializers,
    autocommit: false,
    // Long polls return as soon as a record arrives; the wait only bounds idle fetches.
    maxWaitTime: connection.tuning.maxWaitTime,
    minBytes: 1,
    sessionTimeout: connection.tuning.sessionTimeout,
    heartbeatInterval: connection.tuning.heartbeatInterval,
    rebalanceTimeout: connection.tuning.sessionTimeout,
  })
  const owns = ownership(consumer)
  const commits = new CommitCoalescer(connection.tuning.commitIntervalMs, owns, options.onError)
  const dispatcher = new OrderedDispatcher<Delivery>(
    options.maxInFlight,
    (delivery) => options.onMessage(delivery),
    (delivery) => {
      commits.add(delivery)
    },
  )
  consumer.on('consumer:heartbeat:error', options.onError)
  const stream = await consumer.consume({ topics: [...options.topics], mode: 'committed', fallbackMode: options.startFrom, autocommit: false })
  stream.on('error', options.onError)
  stream.on('data', (raw: Delivery['raw']) => {
    // A fetch that was in flight when a rebalance took the partition away still delivers; its
    // records now belong to the new owner, which reads them from the committed offset. Handling
    // them here too would run them twice, on two instances, and break per-key order.
    if (!owns(raw.topic, raw.partition)) return
    const pushed = dispatcher.push(toDelivery(raw))
    if (dispatcher.inFlight >= options.maxInFlight) {
      stream.pause()
      void pushed.then(() => stream.resume())
    }
  })
  return {
    assignments: () => (consumer.assignments ?? []).flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition }))),
    async close() {
      stream.pause()
      await dispatcher.drain()
      await commits.flush()
      await stream.close().catch(options.onError)
      await consumer.close(true).catch(options.onError)
    },
  }
}

/**
 * Whether the consumer's current generation holds a partition. The lookup table is rebuilt only
 * when the client replaces its assignments array, i.e. once per rebalance, not per record.
 */
function ownership(consumer: Pick<Consumer, 'assignments'>): (topic: string, partition: number) => boolean {
  let source: Consumer['assignments'] | undefined
  let owned = new Map<string, ReadonlySet<number>>()
  return (topic, partition) => {
    const current = consumer.assignments
    if (current !== source) {
      source = current
      owned = new Map((current ?? []).map(({ topic: name, partitions }) => [name, new Set(partitions)]))
    }
    return owned.get(topic)?.has(partition) === true
  }
}
