// Topic management on a real broker: instances of a fleet starting together create shared topics
// without tripping over each other.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { topicErrorCodes } from '../../../../src/transports/kafka/kafka-errors.ts'
import { uniqueName, useKafka } from '../../../support/kafka.ts'

const brokers = useKafka()

describe('Kafka transport topics', () => {
  it('lets several processes create the same new topic at once', async () => {
    const transports = [1, 2, 3].map(() => kafkaTransport({ brokers: brokers() }))
    try {
      for (let round = 0; round < 5; round++) {
        const topic = { name: uniqueName('race'), partitions: 6, replication: -1, retentionMs: 60_000 }
        const results = await Promise.allSettled(transports.map((transport) => transport.ensureTopics([topic], true)))
        assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled', 'fulfilled'], `round ${round}`)
      }
    } finally {
      await Promise.all(transports.map((transport) => transport.close()))
    }
  })

  it('names a missing topic when it may not create it, and deletes missing topics quietly', async () => {
    const transport = kafkaTransport({ brokers: brokers() })
    try {
      const name = uniqueName('absent')
      const error: unknown = await transport.ensureTopics([{ name, partitions: 1, replication: -1, retentionMs: 60_000 }], false).catch((e: unknown) => e)
      assert.ok(isKafkaIpcError(error, 'KIPC_TOPIC_MISSING'))
      assert.match(error.message, new RegExp(name))
      await transport.deleteTopics([name])
    } finally {
      await transport.close()
    }
  })

  it('reads per-topic error codes out of nested client errors', () => {
    const nested = { errors: [{ errors: [{ response: { topics: [{ errorCode: 36 }, { errorCode: 0 }] } }] }] }
    assert.deepEqual([...topicErrorCodes(nested)], [36])
    assert.deepEqual([...topicErrorCodes(new Error('plain'))], [])
  })
})
