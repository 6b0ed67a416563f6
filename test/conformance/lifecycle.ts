// What handlers see of a record, and what happens around a service's life: records written before
// a subscriber or a service exists wait for it; closing a service lets the work in flight finish
// and hands the partitions to the instances that remain.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { HandlerContext, IncomingEvent, IncomingRequest } from '../../src/core/handler-types.ts'
import { isKafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { IncomingMessage } from '../../src/core/transport.ts'
import { booked, echo, slow } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitForSettledGroup, waitUntil } from './request-reply.ts'

export function lifecycleSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('what handlers see, and a service’s life', () => {
    it('a handler sees the record as sent: id, deadline, caller, key, application headers with content-type and traceparent', async () => {
      const { service, transport, policy } = kit()
      const requests: { request: IncomingRequest; context: HandlerContext }[] = []
      const events: IncomingEvent[] = []
      const app = service('echo')
      app.handle(echo, (request, context) => {
        requests.push({ request, context })
        return { caller: 'c', n: 1, responder: 'r' }
      })
      app.on(booked, (event) => {
        events.push(event)
      })
      await app.listen()
      const writer = transport()
      const inbox = await writer.openInbox({ topic: topicNames.inbox(policy, 'raw', 'a'), retentionMs: 60_000, create: true, onError: () => undefined, onMessage: () => undefined })
      const deadline = Date.now() + 30_000
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      const appHeaders = new Map([
        ['traceparent', traceparent],
        ['x-tenant', 'acme'],
      ])
      await writer.send([
        buildMessage({ topic: topicNames.requests(policy, 'echo'), key: 'order-7' }, 'request', { replyTo: inbox.address, deadline, method: echo.method, path: echo.path, service: 'raw' }, { caller: 'c', n: 1 }, policy.codec, policy.maxMessageBytes, appHeaders, 'request-id-1'),
        buildMessage({ topic: topicNames.event(policy, booked.name), key: 'B1' }, 'event', { service: 'raw' }, { id: 'B1', seq: 1 }, policy.codec, policy.maxMessageBytes, appHeaders, 'event-id-1'),
      ])
      await waitUntil(() => requests.length === 1 && events.length === 1, 'both handlers ran')
      const [{ request, context } = requests[0] ?? { request: undefined, context: undefined }] = requests
      assert.ok(request && context)
      assert.deepEqual([request.id, request.method, request.path, request.key, context.deadline, context.caller], ['request-id-1', 'POST', '/echo', 'order-7', deadline, 'raw'])
      assert.deepEqual({ ...request.headers }, { 'content-type': 'application/json', traceparent, 'x-tenant': 'acme' })
      const [seen] = events
      assert.ok(seen)
      assert.deepEqual([seen.id, seen.name, seen.key, seen.source, seen.headers['traceparent']], ['event-id-1', booked.name, 'B1', 'raw', traceparent])
      await inbox.close(true)
    })

    it('an event emitted before anyone subscribed reaches the first subscriber; a request sent while its service was down is answered when it returns', async () => {
      const { service, client, transport, policy } = kit()
      const emitter = client('booking')
      await emitter.emit(booked, { id: 'B1', seq: 1 })
      const first = service('ledger')
      const seen: number[] = []
      first.on(booked, (event) => {
        seen.push(event.body.seq)
      })
      await first.listen()
      await waitUntil(() => seen.includes(1), 'the first subscriber got the earlier event')

      const before = service('echo')
      before.handle(echo, (request) => ({ ...request.body, responder: 'before' }))
      await before.listen()
      await before.close()
      // Written, and acknowledged, while no instance of echo runs.
      const writer = transport()
      const answers: IncomingMessage[] = []
      const inbox = await writer.openInbox({ topic: topicNames.inbox(policy, 'raw', 'down'), retentionMs: 60_000, create: true, onError: () => undefined, onMessage: (message) => answers.push(message) })
      await writer.send([buildMessage({ topic: topicNames.requests(policy, 'echo') }, 'request', { replyTo: inbox.address, deadline: Date.now() + 30_000, method: echo.method, path: echo.path, service: 'raw' }, { caller: 'c', n: 3 }, policy.codec, policy.maxMessageBytes)])
      const after = service('echo')
      after.handle(echo, (request) => ({ ...request.body, responder: 'after' }))
      await after.listen()
      await waitUntil(() => answers.length === 1, 'the request written while echo was down is answered')
      assert.deepEqual(policy.codec.decode(answers[0]?.value ?? new Uint8Array()), { caller: 'c', n: 3, responder: 'after' })
      await inbox.close(true)
    })

    it('close() lets a running handler finish and answer, and the instance that remains takes the work', async () => {
      const { service, client, policy } = kit()
      const runs = new Map<string, number>()
      const [leaving, staying] = ['leaving', 'staying'].map((instanceId) => {
        const app = service('echo', { instanceId })
        app.handle(slow, async (request) => {
          runs.set(request.key ?? '', (runs.get(request.key ?? '') ?? 0) + 1)
          await sleep(request.body.ms)
          return { done: true }
        })
        app.handle(echo, (request) => ({ ...request.body, responder: instanceId }))
        return app
      })
      assert.ok(leaving && staying)
      await Promise.all([leaving.listen(), staying.listen()])
      await waitForSettledGroup([leaving, staying], topicNames.requests(policy, 'echo'), policy.partitions)
      const caller = client('caller')
      // 24 keys: some land on the leaving instance's partitions (all missing it: p < 0.0001).
      const inFlight = Array.from({ length: 24 }, (_, index) => caller.call(slow, { body: { ms: 1_000 }, key: `k${index}`, timeout: 30_000 }))
      await waitUntil(() => leaving.stats().running > 0, 'the leaving instance runs a handler')
      await leaving.close()
      assert.deepEqual(await Promise.all(inFlight), Array.from({ length: 24 }, () => ({ done: true })), 'every call in flight was answered')
      assert.deepEqual([...runs.values()].filter((count) => count > 1), [], 'by the instance that ran it: none was handed over and run again')
      assert.equal(leaving.stats().running, 0)
      const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => caller.call(echo, { body: { caller: 'c', n }, key: `after-${n}`, timeout: 30_000 })))
      assert.ok(answers.every((answer) => answer.responder === 'staying'), 'the remaining instance took every partition')
    })

    it('close() waits for a handler that ignores its signal until it returns, and sends nothing after the deadline', async () => {
      const { service, client } = kit()
      const app = service('echo')
      let returned = false
      let started = false
      app.handle(slow, async (request) => {
        started = true
        // Ignores context.signal on purpose, as a handler calling an API without abort support would.
        await sleep(request.body.ms)
        returned = true
        return { done: true }
      })
      await app.listen()
      const caller = client('caller')
      const call = caller.call(slow, { body: { ms: 1_500 }, timeout: 500 }).catch((error: unknown) => error)
      await waitUntil(() => started, 'the handler runs')
      await app.close()
      assert.equal(returned, true, 'close() resolved only after the handler returned')
      assert.ok(isKafkaIpcError(await call, 'KIPC_TIMEOUT'))
      assert.deepEqual([app.stats().handled, caller.stats().lateAnswers], [0, 0], 'the answer after the deadline was never sent')
    })
  })
}
