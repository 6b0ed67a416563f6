import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { definePolicy } from '../../../../src/core/policy.ts'
import { topicNames } from '../../../../src/core/protocol/topic-names.ts'

describe('topicNames', () => {
  const policy = definePolicy({ prefix: 'air.line' })

  it('builds every name of protocol.md §4 from the prefix', () => {
    assert.deepEqual(
      [
        topicNames.requests(policy, 'pricing'),
        topicNames.event(policy, 'booking.created'),
        topicNames.gather(policy, 'seat.hold'),
        topicNames.inbox(policy, 'booking', 'k3j9x0ab'),
        topicNames.group(policy, 'pricing'),
        topicNames.eventGroup(policy, 'pricing'),
      ],
      ['air.line.pricing.requests', 'air.line.event.booking.created', 'air.line.gather.seat.hold', 'air.line.inbox.booking.k3j9x0ab', 'air.line.pricing', 'air.line.pricing.events'],
    )
  })

  it('reads back every topic it builds, even with dots in the prefix and in event names', () => {
    for (const [topic, parsed] of [
      [topicNames.requests(policy, 'pricing'), { kind: 'requests', service: 'pricing' }],
      [topicNames.event(policy, 'booking.created'), { kind: 'event', name: 'booking.created' }],
      [topicNames.gather(policy, 'seat.hold'), { kind: 'gather', name: 'seat.hold' }],
      [topicNames.inbox(policy, 'booking', 'k3j9x0ab'), { kind: 'inbox', service: 'booking', instance: 'k3j9x0ab' }],
    ] as const) {
      assert.deepEqual(topicNames.parse(policy, topic), parsed, topic)
    }
  })

  it('reads nothing into a name it would not build', () => {
    for (const topic of ['kipc.pricing.requests', 'air.line.event.', 'air.line.gather.', 'air.line.inbox.booking', 'air.line.inbox.a.b.c', 'air.line.a.b.requests', 'air.line.pricing', 'air.lineX.pricing.requests', 'air.line..requests']) {
      assert.equal(topicNames.parse(policy, topic), undefined, topic)
    }
  })

  it('allows answers only to a well-formed address of an inbox of this prefix', () => {
    assert.deepEqual(topicNames.allowedInbox(policy, 'air.line.inbox.booking.a:0'), { topic: 'air.line.inbox.booking.a', partition: 0 })
    for (const address of ['air.line.pricing.requests:0', 'kipc.inbox.booking.a:0', 'air.line.inbox.booking.a', 'air.line.inbox.booking.a:-1', 'air.line.inbox.booking.a:1234567']) {
      assert.equal(topicNames.allowedInbox(policy, address), undefined, address)
    }
  })
})
