// Fault tolerance of the local 3-node cluster: SIGKILL the leader of a replication-factor-3 topic,
// keep producing with acks=all, read everything back, restart the node and watch it rejoin the ISR.
import assert from 'node:assert/strict'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LocalKafka } from '../../../src/local-kafka/index.ts'
import { uniqueName } from '../../support/kafka.ts'

describe('a local 3-node cluster', () => {
  let kafka: LocalKafka
  before(async () => {
    kafka = await LocalKafka.start({ nodes: 3 })
  })
  after(async () => {
    await kafka.stop()
  })

  async function partitionState(admin: Admin, topic: string): Promise<{ leader: number; isr: number[] }> {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
    const partition = metadata.topics.get(topic)?.partitions[0]
    assert.ok(partition, `metadata for ${topic}`)
    return { leader: partition.leader, isr: [...partition.isr].sort() }
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await probe().catch(() => undefined)
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await sleep(200)
    }
  }

  it('keeps serving a replication-factor-3 topic while one node is killed and restarted', async () => {
    assert.equal(kafka.brokers.length, 3)
    const topic = uniqueName('replicated')
    const admin = new Admin({ clientId: 'fault-admin', bootstrapBrokers: kafka.brokers })
    const producer = new Producer({
      clientId: 'fault-producer',
      bootstrapBrokers: kafka.brokers,
      serializers: stringSerializers,
      acks: -1,
      idempotent: true,
      // An election after a SIGKILL waits for the node to be fenced (4 s) on a busy machine: room for 15 s.
      retries: 60,
      retryDelay: 250,
    })
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 3 })
      const before = await waitFor('full ISR', async () => {
        const state = await partitionState(admin, topic)
        return state.isr.length === 3 ? state : undefined
      })
      const send = (from: number, count: number) =>
        producer.send({ messages: Array.from({ length: count }, (_, i) => ({ topic, key: 'k', value: String(from + i) })) })
      await send(0, 50)

      const victim = before.leader
      await kafka.killNode(victim)
      const statuses = await kafka.status()
      assert.equal(statuses.find((node) => node.id === victim)?.running, false, 'killed node is gone')

      // acks=all with min.insync.replicas=2 still succeeds on the two survivors once a new leader is elected.
      await send(50, 50)
      const during = await partitionState(admin, topic)
      assert.notEqual(during.leader, victim)
      assert.ok(!during.isr.includes(victim), 'dead node left the ISR')

      await kafka.restartNode(victim)
      await waitFor('restarted node back in the ISR', async () => {
        const state = await partitionState(admin, topic)
        return state.isr.includes(victim) ? state : undefined
      })
      await send(100, 50)

      const consumer = new Consumer({ clientId: 'fault-consumer', groupId: uniqueName('fault'), bootstrapBrokers: kafka.brokers, deserializers: stringDeserializers, maxWaitTime: 100 })
      try {
        const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
        const values: number[] = []
        for await (const message of stream) {
          values.push(Number(message.value))
          if (values.length === 150) break
        }
        await stream.close()
        assert.deepEqual(values, Array.from({ length: 150 }, (_, i) => i), 'every acknowledged record survives, in order, without duplicates')
      } finally {
        await consumer.close(true)
      }
    } finally {
      await producer.close()
      await admin.close()
    }
  })

  it('refuses an unknown node id with a typed error', async () => {
    await assert.rejects(kafka.killNode(7), { code: 'KIPC_UNKNOWN_NODE' })
  })
})
