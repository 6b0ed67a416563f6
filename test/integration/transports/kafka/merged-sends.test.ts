// Sends that arrive together are merged into one produce request — but never into a record batch
// the broker refuses for its size: three 600 KB sends to one partition, each within the broker's
// 1 MiB limit, all succeed and are all stored; keyless sends, placed round-robin as the produce is
// put together, are counted per partition they go to.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Consumer } from '@platformatic/kafka'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../../support/kafka.ts'

const brokers = useKafka()

/** Sends `value` as `sends` (each a key or none) at once to a new topic of `partitions`, and reads back the first `count` records. */
async function sendAtOnceAndRead(partitions: number, keys: readonly (string | undefined)[], value: Uint8Array, count: number): Promise<{ partition: number; bytes: number }[]> {
  const transport = kafkaTransport({ brokers: brokers() })
  const topic = uniqueName('merged')
  const consumer = new Consumer({ clientId: 'merged-test', groupId: uniqueName('merged-reader'), bootstrapBrokers: brokers() })
  try {
    await transport.ensureTopics([{ name: topic, partitions, replication: -1, retentionMs: 60_000 }], true)
    // A first send makes the producer learn the topic's partitions: from then on the transport places keyless records.
    await transport.send([{ topic, headers: new Map(), value: new Uint8Array(1) }])
    await Promise.all(keys.map((key, n) => transport.send([{ topic, ...(key === undefined ? {} : { key }), headers: new Map([['n', String(n)]]), value }])))
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
    const read: { partition: number; bytes: number }[] = []
    for await (const message of stream) {
      read.push({ partition: message.partition, bytes: message.value.byteLength })
      if (read.length === count) break
    }
    await stream.close()
    return read
  } finally {
    await consumer.close(true)
    await transport.close()
  }
}

describe('Kafka transport merged sends', () => {
  it("stores concurrent sends whose sum is over the broker's message.max.bytes, each under it", async () => {
    const read = await sendAtOnceAndRead(1, ['k1', 'k2', 'k3'], new Uint8Array(600 * 1024).fill(7), 4)
    assert.deepEqual(read.map(({ bytes }) => bytes), [1, 614_400, 614_400, 614_400])
  })

  it('places keyless sends round-robin and keeps each partition of a merged produce under the limit', async () => {
    // Four at once, two per partition: 1.2 MB would be refused as one partition's batch.
    const read = await sendAtOnceAndRead(2, [undefined, undefined, undefined, undefined], new Uint8Array(600 * 1024).fill(7), 5)
    const large = new Map<number, number>()
    for (const { partition, bytes } of read) if (bytes === 614_400) large.set(partition, (large.get(partition) ?? 0) + 1)
    assert.deepEqual([...large.entries()].sort(([a], [b]) => a - b), [[0, 2], [1, 2]])
  })
})
