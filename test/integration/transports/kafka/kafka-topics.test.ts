// Topic management on a real broker: instances of a fleet starting together create shared topics
// without tripping over each other.
import assert from 'node:assert/strict'
import { tracingChannel } from 'node:diagnostics_channel'
import { describe, it } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { Client } from '../../../../src/core/client.ts'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../../src/core/policy.ts'
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

  it("looks its topics up by name, never listing the cluster's: a start and a close cost the same on a cluster of any size", async () => {
    const transport = kafkaTransport({ brokers: brokers() })
    const admin = new Admin({ clientId: 'lookup-test', bootstrapBrokers: brokers() })
    // Every admin operation of the client library, by name, while the transport manages its topics.
    const operations: string[] = []
    const ignore = (): void => undefined
    const seen = { start: (context: object) => void operations.push(String((context as { operation?: unknown }).operation)), end: ignore, asyncStart: ignore, asyncEnd: ignore, error: ignore }
    const channel = tracingChannel('plt:kafka:admin:topics')
    try {
      const existing = uniqueName('existing')
      const created = uniqueName('created')
      await admin.createTopics({ topics: [existing], partitions: 2, replicas: -1 })
      channel.subscribe(seen)
      await transport.ensureTopics([{ name: existing, partitions: 6, replication: -1, retentionMs: 60_000 }, { name: created, partitions: 3, replication: -1, retentionMs: 60_000 }], true)
      const absent = uniqueName('absent')
      const error: unknown = await transport.ensureTopics([{ name: absent, partitions: 1, replication: -1, retentionMs: 60_000 }], false).catch((caught: unknown) => caught)
      await transport.deleteTopics([absent])
      channel.unsubscribe(seen)
      assert.ok(isKafkaIpcError(error, 'KIPC_TOPIC_MISSING'), String(error))
      const partitions = async (topic: string): Promise<number | undefined> => (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)?.partitionsCount
      assert.equal(await partitions(existing), 2, 'the topic that existed is left as it was')
      assert.equal(await partitions(created), 3, 'the missing one is created as asked')
      channel.subscribe(seen)
      await transport.deleteTopics([created, absent])
      channel.unsubscribe(seen)
      assert.ok(!(await admin.listTopics()).includes(created), 'deleteTopics deleted the one that exists')
      assert.deepEqual(operations.filter((operation) => operation !== 'createTopics' && operation !== 'deleteTopics'), [], `admin operations other than creating and deleting: ${operations.join(', ')}`)
      assert.ok(operations.includes('createTopics') && operations.includes('deleteTopics'), `the channel saw the transport's own operations: ${operations.join(', ')}`)
      await admin.deleteTopics({ topics: [existing] })
    } finally {
      channel.unsubscribe(seen)
      await transport.close()
      await admin.close()
    }
  })

  it("a client's inbox is one partition kept for retentionMs.inbox while it runs, and deleted by close()", async () => {
    const client = new Client({ name: 'booking', policy: definePolicy({ prefix: uniqueName('inbox') }), transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
    const admin = new Admin({ clientId: 'inbox-test', bootstrapBrokers: brokers() })
    try {
      await client.ready()
      const topic = (client.address ?? '').split(':')[0] ?? ''
      assert.match(client.address ?? '', /\.inbox\.booking\.[^:]+:0$/)
      const metadata = await admin.metadata({ topics: [topic] })
      assert.equal(metadata.topics.get(topic)?.partitionsCount, 1)
      const [config] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms'] }] })
      assert.equal(config?.configs.find((entry) => entry.name === 'retention.ms')?.value, '600000')
      await client.close()
      assert.ok(!(await admin.listTopics()).includes(topic), 'close() deleted the inbox')
    } finally {
      await client.close()
      await admin.close()
    }
  })

  it('reads per-topic error codes out of nested client errors', () => {
    const nested = { errors: [{ errors: [{ response: { topics: [{ errorCode: 36 }, { errorCode: 0 }] } }] }] }
    assert.deepEqual([...topicErrorCodes(nested)], [36])
    assert.deepEqual([...topicErrorCodes(new Error('plain'))], [])
  })
})
