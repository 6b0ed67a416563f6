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

describe('Kafka transport merged sends', () => {
  it("stores concurrent sends whose sum is over the broker's message.max.bytes, each under it", async () => {
    const transport = kafkaTransport({ brokers: brokers() })
    const topic = uniqueName('merged')
    const consumer = new Consumer({ clientId: 'merged-test', groupId: uniqueName('merged-reader'), bootstrapBrokers: brokers() })
    try {
      await transport.ensureTopics([{ name: topic, partitions: 1, replication: -1, retentionMs: 60_000 }], true)
      const value = new Uint8Array(600 * 1024).fill(7)
      await Promise.all([1, 2, 3].map((n) => transport.send([{ topic, key: `k${String(n)}`, headers: new Map([['n', String(n)]]), value }])))
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
      const sizes: number[] = []
      for await (const message of stream) {
        sizes.push(message.value.byteLength)
        if (sizes.length === 3) break
      }
      await stream.close()
      assert.deepEqual(sizes, [614_400, 614_400, 614_400])
    } finally {
      await consumer.close(true)
      await transport.close()
    }
  })

  it('places keyless sends round-robin and keeps each partition of a merged produce under the limit', async () => {
    const transport = kafkaTransport({ brokers: brokers() })
    const topic = uniqueName('placed')
    const consumer = new Consumer({ clientId: 'placed-test', groupId: uniqueName('placed-reader'), bootstrapBrokers: brokers() })
    try {
      await transport.ensureTopics([{ name: topic, partitions: 2, replication: -1, retentionMs: 60_000 }], true)
      // A first send makes the producer learn the topic's partitions: from then on the transport places keyless records.
      await transport.send([{ topic, headers: new Map(), value: new Uint8Array(1) }])
      const value = new Uint8Array(600 * 1024).fill(7)
      // Four at once, two per partition: 1.2 MB would be refused as one partition's batch.
      await Promise.all([1, 2, 3, 4].map((n) => transport.send([{ topic, headers: new Map([['n', String(n)]]), value }])))
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
      const large = new Map<number, number>()
      let read = 0
      for await (const message of stream) {
        read++
        if (message.value.byteLength === value.byteLength) large.set(message.partition, (large.get(message.partition) ?? 0) + 1)
        if (read === 5) break
      }
      await stream.close()
      assert.deepEqual([...large.entries()].sort(([a], [b]) => a - b), [[0, 2], [1, 2]])
    } finally {
      await consumer.close(true)
      await transport.close()
    }
  })
})
