// A service with a deduplication store runs each message id once: a request sent again with the
// same id gets the first reply (the handler does not run), a failed run may run again, an event
// delivered twice runs once — and a client's retries of a slow call, under one id, run it once.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { route } from '../../src/core/contracts.ts'
import { isKafkaIpcError, KafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import type { DeduplicationStore } from '../../src/core/deduplication-store.ts'
import { memoryDeduplicationStore } from '../../src/core/memory-deduplication-store.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { OutgoingMessage } from '../../src/core/transport.ts'
import { booked, echo } from './contracts.ts'
import { bookedRecord } from './copies.ts'
import { type Harness, useKit } from './harness.ts'
import { carriesReply, interceptSends } from '../support/intercepted-transport.ts'
import { waitUntil } from './request-reply.ts'

const token = route('echo', 'PUT /tokens/:name', { reply: z.object({ token: z.string(), run: z.number().int() }) })
const flaky = route('echo', 'PUT /flaky', { reply: z.object({ run: z.number().int() }) })

export function deduplicationSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('deduplication store', () => {
    it('a request sent again under the same id gets the first reply and does not run again — with the store every service has by default', async () => {
      const { service, client } = kit()
      const app = service('echo')
      let runs = 0
      app.handle(token, () => ({ token: randomUUID(), run: ++runs }))
      await app.listen()
      const caller = client('caller')
      const id = `dedupe-${randomUUID()}`
      const first = await caller.call(token, { params: { name: 'a' }, id })
      const again = await caller.call(token, { params: { name: 'a' }, id })
      assert.deepEqual(again, first)
      assert.equal(runs, 1)
      assert.equal(app.stats().duplicates, 1)
      // Another id is another request.
      const other = await caller.call(token, { params: { name: 'a' } })
      assert.notEqual(other.token, first.token)
      assert.equal(runs, 2)
    })

    it('a store that answers later has the reply before the caller does, with hooks and without — and a request sent again gets it', async () => {
      const { service, client } = kit()
      for (const hooked of [false, true]) {
        const working = memoryDeduplicationStore()
        const stored = new Set<string>()
        // Every answer a turn of the event loop and 20 ms late, as a database's would be.
        const later = <T>(value: T | Promise<T>): Promise<T> => new Promise<T>((resolve) => setTimeout(() => { resolve(value) }, 20))
        const slowStore: DeduplicationStore = {
          claim: (key, leaseMs) => later(working.claim(key, leaseMs)),
          renew: (key, leaseMs) => later(working.renew(key, leaseMs)),
          finish: (key, answer) => later(working.finish(key, answer)).then(() => {
            stored.add(key)
          }),
          release: (key) => later(working.release(key)),
        }
        const app = service(hooked ? 'echo-hooked' : 'echo', { deduplication: slowStore })
        // Any hook makes the service take the full handling; without, a route's reply goes the quick way.
        if (hooked) app.addHook('onResponse', () => undefined)
        const name = app.name
        const slowToken = route(name, 'PUT /tokens/:name', { reply: z.object({ token: z.string(), run: z.number().int() }) })
        let runs = 0
        app.handle(slowToken, () => ({ token: randomUUID(), run: ++runs }))
        await app.listen()
        const caller = client(`caller-${name}`)
        const id = `dedupe-${randomUUID()}`
        const first = await caller.call(slowToken, { params: { name: 'a' }, id })
        assert.equal(stored.size, 1, `${name}: the run is stored before its reply is sent`)
        const again = await caller.call(slowToken, { params: { name: 'a' }, id })
        assert.deepEqual(again, first, name)
        assert.equal(runs, 1, name)
      }
    })

    it('a service given deduplication: false (and no copy window) runs a request sent again under the same id again', async () => {
      // The copy window would drop the second only when it lands in the first one's partition.
      const { service, client } = kit({ deduplicationWindow: 0 })
      const app = service('echo', { deduplication: false })
      let runs = 0
      app.handle(token, () => ({ token: randomUUID(), run: ++runs }))
      await app.listen()
      const caller = client('caller')
      const id = `dedupe-${randomUUID()}`
      await caller.call(token, { params: { name: 'a' }, id })
      const again = await caller.call(token, { params: { name: 'a' }, id })
      assert.equal(again.run, 2)
    })

    it('a reply is recorded before it is sent: when its send fails, the retry gets it and nothing runs again', async () => {
      const { service, client, transport } = kit()
      let dropFirstReply = true
      const base = transport()
      // The broker refuses the responder's first reply, as a leader that just died would past the deadline.
      const refusing = interceptSends(base, (messages, options) => {
        if (dropFirstReply && carriesReply(messages)) {
          dropFirstReply = false
          return Promise.reject(new KafkaIpcError('KIPC_TRANSPORT_ERROR', 'the leader of the inbox partition is gone'))
        }
        return base.send(messages, options)
      })
      const app = service('echo', { deduplication: memoryDeduplicationStore(), transport: refusing })
      let runs = 0
      app.handle(token, () => ({ token: randomUUID(), run: ++runs }))
      await app.listen()
      const reply = await client('caller').call(token, { params: { name: 'b' }, timeout: 4_000, retry: { attempts: 4, attemptTimeout: 500, initialDelayMs: 10 } })
      assert.equal(reply.run, 1)
      assert.equal(runs, 1)
      assert.equal(app.stats().undeliverable, 1, 'the first send failed')
      assert.equal(dropFirstReply, false)
    })

    it('a run that failed is not remembered: the same id runs again', async () => {
      const { service, client } = kit()
      const app = service('echo', { deduplication: memoryDeduplicationStore() })
      let runs = 0
      app.handle(flaky, () => {
        runs++
        if (runs === 1) throw new KafkaIpcError('KIPC_UNAVAILABLE', 'the ledger is down')
        return { run: runs }
      })
      await app.listen()
      const caller = client('caller')
      const id = `dedupe-${randomUUID()}`
      await assert.rejects(caller.call(flaky, { id }), (error: unknown) => isKafkaIpcError(error, 'KIPC_UNAVAILABLE'))
      assert.deepEqual(await caller.call(flaky, { id }), { run: 2 })
      assert.deepEqual(await caller.call(flaky, { id }), { run: 2 })
      assert.equal(runs, 2)
    })

    it('a client retrying a slow idempotent call under one id runs it once and gets its reply', async () => {
      const { service, client } = kit()
      const app = service('echo', { deduplication: memoryDeduplicationStore() })
      let runs = 0
      app.handle(token, async () => {
        runs++
        // Longer than one attempt's wait: the first attempt times out, the second finds it running.
        await new Promise((resolve) => setTimeout(resolve, 600))
        return { token: 'slow', run: runs }
      })
      await app.listen()
      const caller = client('caller')
      await caller.ready()
      const reply = await caller.call(token, { params: { name: 'slow' }, timeout: 4_000, retry: { attempts: 3, attemptTimeout: 300, initialDelayMs: 10 } })
      assert.deepEqual(reply, { token: 'slow', run: 1 })
      assert.equal(runs, 1)
      // The retry waits for the first run, then is dropped as its duplicate (the reply may come first).
      await waitUntil(() => app.stats().duplicates >= 1, 'the retry is recognised as the same request')
      assert.equal(runs, 1)
      assert.ok(caller.stats().timeouts >= 1, 'the first attempt timed out')
    })

    it('a POST is retried only under an id of the caller\'s own', async () => {
      const { client } = kit()
      const caller = client('caller')
      await assert.rejects(caller.call(echo, { body: { caller: 'c', n: 1 }, retry: { attempts: 2 } }), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /not idempotent/.test(error.message))
    })

    it('a store that cannot be reached: a request is answered 503 and not run; an event waits for it', async () => {
      const { service, client, transport, policy } = kit({ eventRetries: { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 20 } })
      const working = memoryDeduplicationStore()
      let failures = 3
      const down = (): Promise<never> => Promise.reject(new KafkaIpcError('KIPC_UNAVAILABLE', 'The deduplication store could not claim a key: connection refused'))
      const flakyStore: DeduplicationStore = {
        claim: (key, leaseMs) => (failures-- > 0 ? down() : working.claim(key, leaseMs)),
        renew: (key, leaseMs) => working.renew(key, leaseMs),
        finish: (key, answer) => working.finish(key, answer),
        release: (key) => working.release(key),
      }
      const app = service('echo', { deduplication: flakyStore })
      let runs = 0
      app.handle(flaky, () => ({ run: ++runs }))
      const seen: number[] = []
      app.on(booked, (event) => {
        seen.push(event.body.seq)
      })
      await app.listen()
      failures = 1
      await assert.rejects(client('caller').call(flaky), (error: unknown) => isKafkaIpcError(error, 'KIPC_UNAVAILABLE') && error.status === 503)
      assert.equal(runs, 0)
      failures = 3
      await transport().send([buildMessage({ topic: topicNames.event(policy, booked.name), key: 'B1' }, 'event', { service: 'booking' }, { id: 'B1', seq: 7 }, policy.codec, policy.maxMessageBytes)])
      await waitUntil(() => seen.includes(7), 'the event runs once the store answers')
      assert.deepEqual(seen, [7])
      assert.equal(failures, -1, 'the event asked the store until it answered')
    })

    it('an event delivered twice runs once, even far apart in its partition', async () => {
      const { service, transport, policy } = kit()
      const app = service('ledger', { deduplication: memoryDeduplicationStore() })
      const seen: number[] = []
      app.on(booked, (event) => {
        seen.push(event.body.seq)
      })
      await app.listen()
      const record = (seq: number, id: string): OutgoingMessage => bookedRecord(policy, seq, id)
      const twice = randomUUID()
      await transport().send([record(1, twice), record(2, randomUUID())])
      await waitUntil(() => seen.includes(2), 'the first events are handled')
      await transport().send([record(1, twice), record(3, randomUUID())])
      await waitUntil(() => seen.includes(3), 'the last event is handled')
      assert.deepEqual(seen, [1, 2, 3])
      assert.equal(app.stats().duplicates, 1)
    })
  })
}
