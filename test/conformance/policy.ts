// The policy decides topics: with auto-creation off, a missing topic is a clear error naming it.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import { booked, echo } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'

export function policySuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('policy', () => {
    it('refuses to start a service whose topics are missing when auto-creation is off, naming the topic', async () => {
      const { service, policy } = kit({ autoCreateTopics: false })
      const app = service('echo')
      app.handle(echo, (req) => ({ ...req.body, responder: 'r' }))
      const error: unknown = await app.listen().catch((e: unknown) => e)
      assert.ok(isKafkaIpcError(error, 'KIPC_TOPIC_MISSING'), String(error))
      assert.ok(error.message.includes(topicNames.requests(policy, 'echo')), error.message)
      assert.deepEqual(error.details, { topic: topicNames.requests(policy, 'echo') })
    })

    it('refuses to emit to a missing event topic when auto-creation is off', async () => {
      const { client, policy, transport } = kit({ autoCreateTopics: false })
      const emitter = client('booking')
      const error: unknown = await emitter.emit(booked, { id: 'B1', seq: 1 }).catch((e: unknown) => e)
      assert.ok(isKafkaIpcError(error, 'KIPC_TOPIC_MISSING'), String(error))
      assert.ok(error.message.includes(topicNames.event(policy, 'booking.created')))
      // Once the platform team creates it, the same client works.
      const topic = { name: topicNames.event(policy, 'booking.created'), partitions: 1, replication: -1, retentionMs: 60_000 }
      await transport().ensureTopics([topic], true)
      // A broker lists a new topic a moment after creating it; wait until it does.
      for (let attempt = 0; ; attempt++) {
        const listed = await transport().ensureTopics([topic], false).then(() => true, () => false)
        if (listed) break
        assert.ok(attempt < 100, 'the created topic is listed within 5 s')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      await emitter.emit(booked, { id: 'B1', seq: 1 })
    })

    it('names topics and groups from the prefix', () => {
      const { policy } = kit()
      assert.equal(topicNames.requests(policy, 'pricing'), `${policy.prefix}.pricing.requests`)
      assert.equal(topicNames.event(policy, 'booking.created'), `${policy.prefix}.event.booking.created`)
      assert.equal(topicNames.gather(policy, 'seat.hold'), `${policy.prefix}.gather.seat.hold`)
      assert.equal(topicNames.group(policy, 'pricing'), `${policy.prefix}.pricing`)
      assert.ok(topicNames.isInbox(policy, topicNames.inbox(policy, 'pricing', 'i1')))
    })
  })
}
