// The drop rules of protocol.md §5–§7 and §11 for records a misbehaving peer writes raw: where a
// service may write an answer, what it does with records of the wrong kind or shape on each kind of
// topic, and what a handler's deadline means when the request carries none or the handler overruns.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { route, stream } from '../../src/core/contracts.ts'
import type { FailureContext } from '../../src/core/failure.ts'
import { isKafkaIpcError, RemoteError } from '../../src/core/kafka-ipc-error.ts'
import { buildMessage, type EnvelopeFields } from '../../src/core/messages.ts'
import { type Policy, topicNames } from '../../src/core/policy.ts'
import type { IncomingMessage, OutgoingMessage } from '../../src/core/transport.ts'
import type { MessageKind } from '../../src/core/wire.ts'
import { booked, echo } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

/** A raw record of any kind on any topic, with the id given. */
function raw(policy: Policy, topic: string, kind: MessageKind, fields: EnvelopeFields, body: unknown, id = randomUUID()): OutgoingMessage {
  return buildMessage({ topic }, kind, fields, body, policy.codec, policy.maxMessageBytes, undefined, id)
}

export function dropRulesSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('drop rules', () => {
    it('answers only to an inbox of its own prefix: another prefix, a missing or a malformed reply-to drops the request', async () => {
      const { service, transport, policy } = kit()
      const reported: { error: unknown; context: FailureContext }[] = []
      const app = service('echo', { onError: (error, context) => reported.push({ error, context }) })
      let ran = 0
      app.handle(echo, (request) => {
        ran++
        return { ...request.body, responder: 'r' }
      })
      await app.listen()
      const foreignInbox = `${policy.prefix}x.inbox.caller.a`
      const watcher = transport()
      await watcher.ensureTopics([{ name: foreignInbox, partitions: 1, replication: -1, retentionMs: 60_000 }], true)
      const written: IncomingMessage[] = []
      const watch = await watcher.openInbox({ topic: foreignInbox, retentionMs: 60_000, create: false, onError: () => undefined, onMessage: (message) => written.push(message) })
      const request = (replyTo: string | undefined): OutgoingMessage =>
        raw(policy, topicNames.requests(policy, 'echo'), 'request', { replyTo, deadline: Date.now() + 10_000, method: echo.method, path: echo.path }, { caller: 'c', n: 1 })
      await watcher.send([request(`${foreignInbox}:0`), request(undefined), request('no-colon-here'), request(`${topicNames.inbox(policy, 'caller', 'a')}:x`)])
      await waitUntil(() => app.stats().rejectedReplyTargets === 4, 'the four requests are dropped')
      assert.equal(ran, 0, 'no handler ran')
      assert.ok(reported.every(({ error, context }) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR') && context.kind === 'message-dropped'))
      // A marker after the drops: anything the service wrote to the foreign inbox would come first.
      await watcher.send([{ ...raw(policy, foreignInbox, 'event', {}, { marker: true }), partition: 0 }])
      await waitUntil(() => written.length >= 1, 'the marker arrives')
      assert.equal(written.length, 1, 'nothing but the marker in the other prefix’s inbox')
      await watch.close(false)
    })

    it('a record of the wrong kind on a request, event or inbox topic is dropped and counted; the next good one is handled', async () => {
      const { service, client, transport, policy } = kit()
      const app = service('echo')
      const events: number[] = []
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      app.on(booked, (event) => {
        events.push(event.body.seq)
      })
      await app.listen()
      const caller = client('caller')
      await caller.ready()
      const writer = transport()
      const inbox = topicNames.allowedInbox(policy, caller.address ?? '')
      assert.ok(inbox)
      await writer.send([
        raw(policy, topicNames.requests(policy, 'echo'), 'reply', { correlation: 'x', status: 200 }, { ok: true }),
        raw(policy, topicNames.requests(policy, 'echo'), 'event', {}, { id: 'B1', seq: 1 }),
        raw(policy, topicNames.event(policy, booked.name), 'request', { replyTo: caller.address, method: 'POST', path: '/x' }, null),
        raw(policy, topicNames.event(policy, booked.name), 'event', {}, { id: 'B1', seq: 'not a number' }),
        { ...raw(policy, inbox.topic, 'request', { replyTo: caller.address, method: 'POST', path: '/x' }, null), partition: inbox.partition },
        { ...raw(policy, inbox.topic, 'reply', {}, null), partition: inbox.partition, headers: new Map([['kipc-v', '2'], ['kipc-kind', 'reply'], ['kipc-id', 'x']]) },
      ])
      await waitUntil(() => app.stats().malformed === 2 && app.stats().eventsFailed === 2 && caller.stats().malformedMessages === 2, 'every bad record is counted')
      // The same topics still work.
      assert.equal((await caller.call(echo, { body: { caller: 'c', n: 5 } })).n, 5)
      await caller.emit(booked, { id: 'B2', seq: 2 })
      await waitUntil(() => events.includes(2), 'the next event is handled')
      assert.deepEqual(events, [2])
    })

    it('a reply over the size limit reaches the caller as 413; a stream item that breaks its contract as 502 after the good ones', async () => {
      const { service, client } = kit({ maxMessageBytes: 1_000 })
      const big = route('echo', 'POST /big', { reply: z.object({ text: z.string() }) })
      const numbers = stream('echo', 'POST /numbers', { item: z.object({ n: z.number() }) })
      const app = service('echo')
      app.handle(big, () => ({ text: 'x'.repeat(2_000) }))
      app.handle(numbers, async function* () {
        await Promise.resolve()
        yield { n: 1 }
        yield { n: 2 }
        yield { n: 'three' as unknown as number }
      })
      await app.listen()
      const caller = client('caller')
      const tooBig: unknown = await caller.call(big).catch((caught: unknown) => caught)
      assert.ok(tooBig instanceof RemoteError && tooBig.code === 'KIPC_PAYLOAD_TOO_LARGE' && tooBig.status === 413, String(tooBig))
      const items: number[] = []
      const invalid: unknown = await (async () => {
        for await (const item of caller.stream(numbers)) items.push(item.n)
      })().catch((caught: unknown) => caught)
      assert.deepEqual(items, [1, 2])
      assert.ok(invalid instanceof RemoteError && invalid.code === 'KIPC_INVALID_REPLY' && invalid.status === 502, String(invalid))
    })

    it('a request without a deadline runs with the policy timeout from when it starts', async () => {
      const { service, transport, policy } = kit({ timeoutMs: 7_000 })
      const app = service('echo')
      const seen: { deadline: number; startedAt: number }[] = []
      app.handle(echo, (request, context) => {
        seen.push({ deadline: context.deadline, startedAt: Date.now() })
        return { ...request.body, responder: 'r' }
      })
      await app.listen()
      const writer = transport()
      const inbox = await writer.openInbox({ topic: topicNames.inbox(policy, 'raw', 'a'), retentionMs: 60_000, create: true, onError: () => undefined, onMessage: () => undefined })
      await writer.send([raw(policy, topicNames.requests(policy, 'echo'), 'request', { replyTo: inbox.address, method: echo.method, path: echo.path }, { caller: 'c', n: 1 })])
      await waitUntil(() => seen.length === 1, 'the request without a deadline is handled')
      const [{ deadline, startedAt } = { deadline: 0, startedAt: 0 }] = seen
      // Within a second of start + 7 s: generous for a loaded machine, far from any other default.
      assert.ok(Math.abs(deadline - (startedAt + 7_000)) < 1_000, `deadline ${deadline - startedAt} ms after the start`)
      await inbox.close(true)
    })

    it('a handler that overruns its deadline sends nothing: the caller sees its own timeout and no late answer', async () => {
      const { service, client } = kit()
      const slowEcho = route('echo', 'POST /overrun', { body: z.object({ ms: z.number() }), reply: z.object({ done: z.boolean() }) })
      const app = service('echo')
      app.handle(slowEcho, async (request) => {
        // Ignores its signal on purpose.
        await sleep(request.body.ms)
        return { done: true }
      })
      await app.listen()
      const caller = client('caller')
      const error: unknown = await caller.call(slowEcho, { body: { ms: 1_200 }, timeout: 400 }).catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(error, 'KIPC_TIMEOUT'))
      await waitUntil(() => app.stats().running === 0, 'the overrunning handler returned', 10_000)
      // A later answer to the same inbox arrives after anything the overrun might have sent.
      assert.deepEqual(await caller.call(slowEcho, { body: { ms: 0 } }), { done: true })
      assert.equal(caller.stats().lateAnswers, 0)
    })
  })
}
