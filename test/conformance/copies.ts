// A record stored twice — as Kafka's producer can during a leader election — runs its handler
// once: the service's deduplication store remembers it, and a service without one remembers
// recent message ids per partition (policy.deduplicationWindow).
// The copies are written through the transport port exactly as the broker would hold them.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { OutgoingMessage } from '../../src/core/transport.ts'
import type { Policy } from '../../src/core/policy.ts'
import { readEnvelope } from '../../src/core/protocol/envelope.ts'
import { booked, echo, seatHold } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

/** A `booked` event of key B1 as the broker holds it, under message id `id`: two with one id are copies. */
export function bookedRecord(policy: Policy, seq: number, id: string): OutgoingMessage {
  return buildMessage({ topic: topicNames.event(policy, booked.name), key: 'B1' }, 'event', { service: 'booking' }, { id: 'B1', seq }, policy.codec, policy.maxMessageBytes, undefined, id)
}

export function copiesSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('records stored twice', () => {
    for (const [window, store] of [[0, true], [10_000, false], [0, false]] as const) {
      const runs = window === 0 && !store ? 'runs twice with deduplicationWindow 0' : 'runs once'
      it(`an event stored twice ${runs} ${store ? 'with the default store' : 'without a store'}`, async () => {
        const { service, transport, policy } = kit({ deduplicationWindow: window })
        const app = service('ledger', store ? {} : { deduplication: false })
        const seen: number[] = []
        app.on(booked, (event) => {
          seen.push(event.body.seq)
        })
        await app.listen()
        const record = (seq: number, id: string): OutgoingMessage => bookedRecord(policy, seq, id)
        const copied = randomUUID()
        await transport().send([record(1, copied), record(2, randomUUID()), record(1, copied), record(3, randomUUID())])
        await waitUntil(() => seen.includes(3), 'the last event is handled')
        const twice = window === 0 && !store
        assert.deepEqual(seen, twice ? [1, 2, 1, 3] : [1, 2, 3])
        assert.equal(app.stats().duplicates, twice ? 0 : 1)
        assert.equal(app.stats().eventsHandled, seen.length)
      })
    }

    it('a request stored twice runs once', async () => {
      const { service, client, transport, policy } = kit()
      const app = service('echo')
      const ran: number[] = []
      app.handle(echo, (request) => {
        ran.push(request.body.n)
        return { ...request.body, responder: 'r1' }
      })
      await app.listen()
      const caller = client('caller')
      await caller.ready()
      const request = (n: number, id: string): OutgoingMessage =>
        buildMessage(
          { topic: topicNames.requests(policy, 'echo'), key: 'k' },
          'request',
          { correlation: randomUUID(), replyTo: caller.address, deadline: Date.now() + 10_000, method: echo.method, path: echo.path, service: 'caller' },
          { caller: 'caller', n },
          policy.codec,
          policy.maxMessageBytes,
          undefined,
          id,
        )
      const copied = randomUUID()
      await transport().send([request(1, copied), request(1, copied), request(2, randomUUID())])
      await waitUntil(() => ran.includes(2), 'the last request is handled')
      assert.deepEqual(ran, [1, 2])
      assert.equal(app.stats().duplicates, 1)
    })

    it('a gather answer stored twice counts once', async () => {
      const { client, transport, policy } = kit()
      // A raw responder that answers each gather request with the same record twice.
      const responder = transport()
      await responder.ensureTopics([{ name: topicNames.gather(policy, seatHold.name), partitions: policy.partitions, replication: policy.replication, retentionMs: policy.retentionMs.requests }], true)
      const subscription = await responder.subscribe({
        group: `${policy.prefix}.raw-carrier`,
        topics: [topicNames.gather(policy, seatHold.name)],
        startFrom: 'earliest',
        maxInFlight: 1,
        onError: () => undefined,
        onMessage: async (message) => {
          const envelope = readEnvelope(message.headers)
          const target = topicNames.allowedInbox(policy, envelope.replyTo ?? '')
          if (target === undefined) return
          const answer = buildMessage(target, 'reply', { correlation: envelope.id, service: 'carrier-a', status: 200 }, { carrier: 'carrier-a', seats: 1 }, policy.codec, policy.maxMessageBytes)
          await responder.send([answer, answer])
        },
      })
      try {
        const booking = client('booking')
        const result = await booking.gather(seatHold, { body: { flight: 'LO26' }, expect: 2, timeout: 2_000 })
        assert.deepEqual(
          result.answers.map((answer) => answer.service),
          ['carrier-a'],
        )
        assert.equal(result.partial, true)
        await waitUntil(() => booking.stats().lateAnswers >= 1, 'the copy is counted')
      } finally {
        await subscription.close()
      }
    })
  })
}
