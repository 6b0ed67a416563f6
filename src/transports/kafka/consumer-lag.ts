import type { Consumer, Offsets } from '@platformatic/kafka'
import type { PartitionLag, TopicPartition } from '../../core/transport.ts'

/** ListOffsets' timestamp for the first offset still in a partition's log (Kafka's EARLIEST). */
const earliest = -2n

/**
 * How far a consumer group is behind on the partitions `held` (see Subscription.lag): each
 * partition's end offset minus the group's committed offset, both asked of the broker — the
 * partition leaders and the group coordinator — in parallel. A partition the group never
 * committed counts from the start of its log (`earliest`) or not at all (`latest`): a `latest`
 * consumer starts at the end, and what it has handled since shows once it commits.
 *
 * @example
 * ```ts
 * const lags = await consumerLag(consumer, [{ topic: 'kipc.pricing', partition: 0 }], 'earliest')
 * // [{ topic: 'kipc.pricing', partition: 0, lag: 12 }]
 * ```
 */
export async function consumerLag(consumer: Consumer, held: readonly TopicPartition[], startFrom: 'earliest' | 'latest'): Promise<PartitionLag[]> {
  if (held.length === 0) return []
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of held) {
    const partitions = byTopic.get(topic)
    if (partitions === undefined) byTopic.set(topic, [partition])
    else partitions.push(partition)
  }
  const topics = [...byTopic.keys()]
  const partitions = Object.fromEntries(byTopic)
  const [ends, committed] = await Promise.all([consumer.listOffsets({ topics, partitions }), consumer.listCommittedOffsets({ topics: [...byTopic].map(([topic, indexes]) => ({ topic, partitions: indexes })) })])
  const uncommitted = held.some(({ topic, partition }) => (committed.get(topic)?.[partition] ?? -1n) < 0n)
  // Only asked when needed: once a group has committed everywhere, one round trip each suffices.
  const starts: Offsets | undefined = uncommitted && startFrom === 'earliest' ? await consumer.listOffsets({ topics, partitions, timestamp: earliest }) : undefined
  return held.map(({ topic, partition }) => {
    const end = ends.get(topic)?.[partition]
    if (end === undefined) return { topic, partition, lag: 0 }
    const commit = committed.get(topic)?.[partition] ?? -1n
    const from = commit >= 0n ? commit : startFrom === 'earliest' ? (starts?.get(topic)?.[partition] ?? 0n) : end
    // A committed offset past the end (a log truncated by an unclean election) is no lag.
    return { topic, partition, lag: end > from ? Number(end - from) : 0 }
  })
}
