import { Consumer } from '@platformatic/kafka'
import { IncomingMessage, type Inbox, type InboxOptions } from '../../core/transport.ts'
import { formatAddress } from '../../core/protocol/addresses.ts'
import { ChannelTracker } from '../channel-tracker.ts'
import { backoff } from '../../core/backoff.ts'
import { asTransportError } from './kafka-errors.ts'
import type { KafkaConnection } from './kafka-connection.ts'
import { decodeHeaders, rawDeserializers } from './records.ts'
import { standInRejection } from './unread-batches.ts'

const controlBatch = 0x20

/**
 * A private inbox on Kafka: partition 0 of a topic this instance alone reads, with plain Fetch
 * requests and **no consumer group** — no join, no heartbeats, no rebalance that could hand
 * replies to another instance. It starts at the partition's end as of opening and resolves only
 * once that position is known, so a reply to the first request cannot be missed.
 *
 * A dedicated connection carries the long-poll fetch, so it never delays produce requests.
 *
 * The loop never ends by itself while the inbox is open: when a fetch fails (the leader died, the
 * connection dropped, leadership moved) it looks the partition up again with fresh metadata and
 * goes on from the same position, backing off with jitter; the state change is reported once.
 */
export async function openKafkaInbox(connection: KafkaConnection, options: InboxOptions): Promise<Inbox> {
  await connection.transport.ensureTopics([{ name: options.topic, partitions: 1, replication: connection.inboxReplication, retentionMs: options.retentionMs, brokerTimestamps: true }], options.create)
  const consumer = new Consumer({
    ...connection.base,
    // One retry, not the library's twenty: its fetch retries nest its metadata retries, so a broker
    // that went away took 21 × 21 attempts — about 42 s — to be reported, and the health probes
    // said ready all that time. This loop retries by itself, with backoff and a fresh lookup.
    retries: 1,
    clientId: `${connection.base.clientId}-inbox`,
    // Never joined: Fetch and ListOffsets need no group, but the client wants a name.
    groupId: `${options.topic}-no-group`,
    deserializers: rawDeserializers,
    maxWaitTime: connection.tuning.maxWaitTime,
    minBytes: 1,
  })
  const topic = options.topic
  let located: { topicId: string; leader: number }
  let position: bigint
  try {
    // A topic just created reaches every broker's metadata within moments: the library's short
    // retries used to cover it; with one retry, this does, for up to openBudgetMs.
    ;({ located, position } = await withRetries(openBudgetMs, async () => {
      const found = await locate(consumer, topic)
      return { located: found, position: (await consumer.listOffsets({ topics: [topic] })).get(topic)?.[0] ?? 0n }
    }))
  } catch (error) {
    await consumer.close(true).catch(() => undefined)
    throw asTransportError(error, `opening inbox ${topic}`, { topics: [topic] })
  }
  let { topicId, leader } = located
  const controller = new AbortController()
  const tracker = new ChannelTracker(`inbox ${topic}`, options.onState)
  tracker.consuming()
  let attempt = 0
  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        if (tracker.state === 'recovering') ({ topicId, leader } = await locate(consumer, topic))
        const response = await consumer.fetch({
          node: leader,
          topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: position, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: connection.tuning.inboxMaxBytes }] }],
          maxWaitTime: connection.tuning.maxWaitTime,
          minBytes: 1,
          maxBytes: connection.tuning.inboxMaxBytes,
        })
        for (const topicResponse of response.responses) {
          for (const partition of topicResponse.partitions) {
            if (partition.errorCode !== 0) throw new Error(`inbox fetch answered error code ${partition.errorCode}`)
            for (const batch of partition.records ?? []) {
              const last = batch.firstOffset + BigInt(batch.lastOffsetDelta)
              if ((batch.attributes & controlBatch) === 0) {
                for (const record of batch.records) {
                  const offset = batch.firstOffset + BigInt(record.offsetDelta)
                  if (offset < position) continue
                  // One class for every record (core/transport.ts: why not a literal). A batch
                  // refused at the inflate limit arrives as one stand-in (unread-batches.ts).
                  options.onMessage(
                    new IncomingMessage(
                      topic,
                      0,
                      offset,
                      record.key === null || record.key.length === 0 ? undefined : record.key.toString('utf8'),
                      decodeHeaders(record.headers),
                      record.value ?? new Uint8Array(0),
                      Number(batch.firstTimestamp + record.timestampDelta),
                      standInRejection(record.headers[0]?.[0], { topic, partition: 0, offset }),
                    ),
                  )
                }
              }
              if (last + 1n > position) position = last + 1n
            }
          }
        }
        if (tracker.consuming() !== undefined) attempt = 0
      } catch (error) {
        // The flag changes while the fetch awaits; read it through the signal object.
        if ((controller.signal as { readonly aborted: boolean }).aborted) return
        // Leadership may have moved or the connection dropped: the next turn looks the partition
        // up again with fresh metadata.
        if (tracker.failed(asTransportError(error, `reading inbox ${topic}`, { topics: [topic] }))) attempt = 0
        await backoff(attempt++, controller.signal, 100, 2_000)
      }
    }
  })()
  return {
    address: formatAddress(topic, 0),
    health: () => tracker.health(),
    async close(deleteTopic) {
      tracker.closed()
      controller.abort()
      await consumer.close(true).catch((error: unknown) => {
        options.onError(asTransportError(error, `closing inbox ${topic}`))
      })
      await loop
      if (deleteTopic) await connection.transport.deleteTopics([topic]).catch(options.onError)
    },
  }
}

/** How long opening an inbox retries its first lookups: what the library's twenty retries gave. */
const openBudgetMs = 3_000

/** Runs `work` until it succeeds or `budgetMs` has passed, with backoff; the last failure is thrown. */
async function withRetries<T>(budgetMs: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + budgetMs
  for (let attempt = 0; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (Date.now() >= deadline) throw error
      await backoff(attempt, undefined, 50, 500)
    }
  }
}

async function locate(consumer: Pick<Consumer, 'metadata'>, topic: string): Promise<{ topicId: string; leader: number }> {
  const metadata = await consumer.metadata({ topics: [topic], forceUpdate: true })
  const described = metadata.topics.get(topic)
  const leader = described?.partitions[0]?.leader
  if (described === undefined || leader === undefined || leader < 0) throw new Error(`inbox topic ${topic} has no leader yet`)
  return { topicId: described.id, leader }
}
