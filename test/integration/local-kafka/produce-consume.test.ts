// A first round trip through a real broker: topic creation, keyed records with headers, and
// reading them back with a consumer group — the ground every later feature stands on. It runs on
// the shared broker (the pinned Kafka release) and on the newest Kafka 4.x we know of.
import assert from 'node:assert/strict'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { after, before, describe, it } from 'node:test'
import { defaultKafkaVersion, LocalKafka } from '../../../src/local-kafka/index.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'
import { envelopeField } from '../../../src/core/protocol/packed-envelope.ts'

/** The newest Apache Kafka 4.x release served by Maven Central when this test was written. */
const newestKafkaVersion = '4.4.0'

const brokers = useKafka()

describe(`a real Kafka broker (${defaultKafkaVersion}, pinned)`, () => {
  it('stores keyed records with headers and gives them back in per-key order', async () => {
    await roundTrip(brokers())
  })
})

describe(`the newest Kafka 4.x (${newestKafkaVersion})`, () => {
  let kafka: LocalKafka | undefined
  before(async () => {
    kafka = await LocalKafka.start({ kafkaVersion: newestKafkaVersion })
  })
  after(async () => {
    await kafka?.stop()
  })

  it('runs locally and passes the same round trip', async () => {
    assert.ok(kafka)
    assert.equal(kafka.kafkaVersion, newestKafkaVersion)
    await roundTrip(kafka.brokers)
  })
})

async function roundTrip(bootstrapBrokers: string[]): Promise<void> {
  const topic = uniqueName('roundtrip')
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers })
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers, serializers: stringSerializers, acks: -1, idempotent: true })
  const consumer = new Consumer({ clientId: 'test-consumer', groupId: uniqueName('group'), bootstrapBrokers, deserializers: stringDeserializers, maxWaitTime: 100 })
  try {
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
    const keys = ['alpha', 'bravo', 'charlie', 'delta']
    const sent = Array.from({ length: 40 }, (_, i) => ({
      topic,
      key: keys[i % keys.length] ?? 'alpha',
      value: JSON.stringify({ seq: i }),
      headers: { 'kipc-kind': 'event', 'x-seq': String(i) },
    }))
    const result = await producer.send({ messages: sent })
    const writtenPartitions = new Set(result.offsets?.map((written) => written.partition))

    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
    const received: { key: string; value: string; seq: string | undefined; kind: string | undefined; partition: number }[] = []
    for await (const message of stream) {
      received.push({ key: message.key, value: message.value, seq: message.headers.get('x-seq'), kind: envelopeField(message.headers, 'kipc-kind'), partition: message.partition })
      if (received.length === sent.length) break
    }
    await stream.close()

    assert.equal(received.length, 40)
    assert.deepEqual(new Set(received.map((record) => record.partition)), writtenPartitions, 'the send result names the partitions written')
    for (const record of received) {
      assert.equal(record.kind, 'event')
      assert.equal(record.value, JSON.stringify({ seq: Number(record.seq) }))
    }
    for (const key of keys) {
      const ofKey = received.filter((record) => record.key === key)
      assert.equal(ofKey.length, 10)
      assert.equal(new Set(ofKey.map((record) => record.partition)).size, 1, `all records of ${key} land in one partition`)
      const order = ofKey.map((record) => Number(record.seq))
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `records of ${key} come back in the order sent`)
    }
    const metadata = await admin.metadata({ topics: [topic] })
    assert.equal(metadata.topics.get(topic)?.partitionsCount, 3)
  } finally {
    await consumer.close(true)
    await producer.close()
    await admin.close()
  }
}
