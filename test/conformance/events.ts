// Events: every subscribing service gets each event once; instances of one service share them;
// order holds per key.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import { booked } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitForSettledGroup, waitUntil } from './request-reply.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'

export function eventsSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('events', () => {
    it('delivers each event to every subscribing service once, shares it among instances, keeps per-key order', async () => {
      const { service, client, policy } = kit()
      const types = new Set<string | undefined>()
      const received = new Map<string, { instance: string; id: string; seq: number }[]>([
        ['mailer', []],
        ['ledger', []],
      ])
      const subscribers = [
        ['mailer', 'm1'],
        ['mailer', 'm2'],
        ['ledger', 'l1'],
      ].map(([name = '', instance = '']) => {
        const app = service(name, { instanceId: instance })
        app.on(booked, (event) => {
          types.add(event.headers['content-type'])
          received.get(name)?.push({ instance, id: event.body.id, seq: event.body.seq })
        })
        return app
      })
      await Promise.all(subscribers.map((app) => app.listen()))
      await waitForSettledGroup(subscribers.slice(0, 2), topicNames.event(policy, booked.name), policy.partitions)
      const emitter = client('booking')
      const keys = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6']
      const total = 60
      for (let seq = 0; seq < total; seq++) {
        const id = keys[seq % keys.length] ?? 'B1'
        await emitter.emit(booked, { id, seq }, { key: id })
      }
      await waitUntil(() => (received.get('mailer')?.length ?? 0) >= total && (received.get('ledger')?.length ?? 0) >= total, 'both services received every event', 30_000)
      for (const [name, events] of received) {
        assert.equal(new Set(events.map((event) => event.seq)).size, total, `${name} got each event`)
        for (const key of keys) {
          const order = events.filter((event) => event.id === key).map((event) => event.seq)
          assert.deepEqual(order, [...order].sort((a, b) => a - b), `${name} kept the order of ${key}`)
        }
      }
      const mailerInstances = new Set(received.get('mailer')?.map((event) => event.instance))
      assert.equal(mailerInstances.size, 2, 'the two mailer instances share the events')
      const perKeyInstance = new Map<string, Set<string>>()
      for (const event of received.get('mailer') ?? []) perKeyInstance.set(event.id, (perKeyInstance.get(event.id) ?? new Set()).add(event.instance))
      for (const [key, instances] of perKeyInstance) assert.equal(instances.size, 1, `all events of ${key} went to one mailer instance`)
      // Sent untyped (the codec's own type), read as JSON, and said so to the handler as over HTTP.
      assert.deepEqual([...types], ['application/json'])
    })

    it('checks an event body before publishing it', async () => {
      const { client } = kit()
      const error: unknown = await client('booking')
        .emit(booked, { id: 'B1', seq: 1.5 })
        .catch((e: unknown) => e)
      assert.ok(isKafkaIpcError(error, 'KIPC_BAD_REQUEST'), String(error))
    })

    it('a restarted service resumes after what it handled: nothing again, nothing skipped', async () => {
      const { service, client } = kit()
      const emitter = client('booking')
      const first = service('ledger', { instanceId: 'before' })
      const seenBefore: number[] = []
      first.on(booked, (event) => {
        seenBefore.push(event.body.seq)
      })
      await first.listen()
      for (let seq = 0; seq < 20; seq++) await emitter.emit(booked, { id: `B${seq % 4}`, seq }, { key: `B${seq % 4}` })
      await waitUntil(() => seenBefore.length >= 20, 'the first instance handled 20 events')
      // Graceful shutdown commits what was handled, however recently.
      await first.close()
      for (let seq = 20; seq < 30; seq++) await emitter.emit(booked, { id: `B${seq % 4}`, seq }, { key: `B${seq % 4}` })
      const second = service('ledger', { instanceId: 'after' })
      const seenAfter: number[] = []
      second.on(booked, (event) => {
        seenAfter.push(event.body.seq)
      })
      await second.listen()
      await waitUntil(() => seenAfter.length >= 10, 'the restarted service handled the 10 new events')
      // One marker per key, after everything else: a replayed older event of that key (same
      // partition) would have been handled before its marker.
      for (let seq = 30; seq < 34; seq++) await emitter.emit(booked, { id: `B${seq % 4}`, seq }, { key: `B${seq % 4}` })
      await waitUntil(() => [30, 31, 32, 33].every((seq) => seenAfter.includes(seq)), 'the markers arrived')
      assert.deepEqual(
        seenAfter.filter((seq) => seq < 30).sort((a, b) => a - b),
        Array.from({ length: 10 }, (_, i) => 20 + i),
      )
    })

    it('reports a failing event handler through onError and keeps consuming', async () => {
      const { service, client, errors } = kit()
      const app = service('ledger')
      const seen: number[] = []
      app.on(booked, (event) => {
        if (event.body.seq === 0) throw new Error('ledger down')
        seen.push(event.body.seq)
      })
      await app.listen()
      const emitter = client('booking')
      await emitter.emit(booked, { id: 'B1', seq: 0 }, { key: 'B1' })
      await emitter.emit(booked, { id: 'B1', seq: 1 }, { key: 'B1' })
      await waitUntil(() => seen.includes(1), 'the next event is handled')
      assert.equal(app.stats().eventsFailed, 1)
      assert.ok(errors.some((error) => error instanceof Error && error.message === 'ledger down'))
    })
  })
}
