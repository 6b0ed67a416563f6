// A subscription whose group membership is lost — the client library gave up rejoining after a
// coordinator moved, or its heartbeats stalled, and then schedules no more heartbeats — must
// rejoin as a new member. A new stream on the same consumer would fetch the partitions it last
// held outside the group, which expires it and leaves the partitions it gives to nobody
// unconsumed for good (fault scenario (g) in test/faults/instances.test.ts once did that).
import assert from 'node:assert/strict'
import { subscribe as subscribeChannel, unsubscribe as unsubscribeChannel } from 'node:diagnostics_channel'
import { describe, it } from 'node:test'
import type { Consumer } from '@platformatic/kafka'
import type { ChannelHealth } from '../../../../src/core/channel-health.ts'
import { buildMessage } from '../../../../src/core/protocol/envelope.ts'
import { jsonCodec } from '../../../../src/core/protocol/codec.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { waitUntil } from '../../../conformance/request-reply.ts'
import { uniqueName, useKafka } from '../../../support/kafka.ts'

const brokers = useKafka()

/**
 * A transport, a two-partition topic and a subscription to it that has consumed a first record:
 * what it received and each state it reported, the library consumers it made and the first one.
 */
async function subscribed(): Promise<{ send: (body: string) => Promise<void>; received: string[]; states: string[]; consumers: Consumer[]; first: Consumer; stop: () => Promise<void> }> {
  const consumers: Consumer[] = []
  const created = (message: unknown): void => {
    const { type, instance } = message as { type: string; instance: unknown }
    if (type === 'consumer') consumers.push(instance as Consumer)
  }
  subscribeChannel('plt:kafka:instances', created)
  const transport = kafkaTransport({ brokers: brokers() })
  const topic = uniqueName('membership')
  const states: string[] = []
  const received: string[] = []
  await transport.ensureTopics([{ name: topic, partitions: 2, replication: -1, retentionMs: 600_000 }], true)
  const subscription = await transport.subscribe({
    group: uniqueName('membership-group'),
    topics: [topic],
    startFrom: 'earliest',
    maxInFlight: 16,
    onMessage: (message) => {
      received.push(new TextDecoder().decode(message.value))
      return undefined
    },
    onError: () => undefined,
    onState: (health: ChannelHealth) => states.push(health.state),
  })
  const send = (body: string): Promise<void> => transport.send([buildMessage({ topic, key: body }, 'event', { service: 'test' }, body, jsonCodec, 1_000_000)])
  await send('before')
  await waitUntil(() => received.includes('"before"'), 'the first record is consumed')
  const first = consumers.at(-1)
  assert.ok(first !== undefined, 'the subscription made a consumer')
  return {
    send,
    received,
    states,
    consumers,
    first,
    stop: async () => {
      unsubscribeChannel('plt:kafka:instances', created)
      await subscription.close()
      await transport.deleteTopics([topic]).catch(() => undefined)
      await transport.close()
    },
  }
}

describe('a Kafka subscription that loses its group membership', () => {
  it('joins again as a new member after a heartbeat stall, and goes on consuming', async () => {
    const { send, received, states, consumers, first, stop } = await subscribed()
    try {
      const memberBefore = first.memberId
      // The library's signal that this member's heartbeats stalled (it has stopped sending them).
      first.emit('consumer:heartbeat:stalled', { lastError: new Error('coordinator gone'), lastHeartbeat: new Date(), stalledFor: 3_000 })
      await waitUntil(() => states.at(-1) === 'consuming' && states.includes('recovering'), 'the subscription recovers')
      const second = consumers.at(-1)
      assert.ok(second !== undefined && second !== first, 'a new consumer took over: the stalled one is not given a new stream')
      assert.notEqual(second.memberId, memberBefore, 'it is a new member of the group')
      await send('after')
      await waitUntil(() => received.includes('"after"'), 'a record sent after the recovery is consumed')
    } finally {
      await stop()
    }
  })

  it('replaces a consumer that stopped being a member without a word, once that outlasts a rebalance', { timeout: 60_000 }, async () => {
    const { send, received, states, consumers, first, stop } = await subscribed()
    try {
      // No longer a member, and no event says so: as the library leaves a consumer whose rejoin
      // failed a certain way — heartbeats stopped, isActive() false, the stream fetching on.
      first.isActive = () => false
      await waitUntil(() => consumers.length > 1 && states.at(-1) === 'consuming', 'a new consumer takes over once the watch\'s grace (13 s here) has passed', 30_000)
      await send('after')
      await waitUntil(() => received.includes('"after"'), 'a record sent afterwards is consumed')
    } finally {
      await stop()
    }
  })
})
