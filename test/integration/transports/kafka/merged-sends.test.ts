// Sends that arrive together are merged into one produce request — but never into a record batch
// the broker refuses for its size: three 600 KB sends to one partition, each within the broker's
// 1 MiB limit, all succeed and are all stored.
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
})
