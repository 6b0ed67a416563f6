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
import { buildMessage, type EnvelopeFields } from '../../src/core/protocol/envelope.ts'
import type { Policy } from '../../src/core/policy.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { Service } from '../../src/core/service.ts'
import type { IncomingMessage, OutgoingMessage } from '../../src/core/transport.ts'
import type { MessageKind } from '../../src/core/protocol/envelope.ts'
import { booked, echo } from './contracts.ts'
import { type Harness, type TestKit, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'
import { envelopeField } from '../../src/core/protocol/packed-envelope.ts'

/** A raw record of any kind on any topic, with the id given. */
function raw(policy: Policy, topic: string, kind: MessageKind, fields: EnvelopeFields, body: unknown, id = randomUUID()): OutgoingMessage {
  return buildMessage({ topic }, kind, fields, body, policy.codec, policy.maxMessageBytes, undefined, id)
}

/** An echo service that records what it reports and counts how often its handler ran. */
function countedEcho(service: TestKit['service']): { app: Service; reported: { error: unknown; context: FailureContext }[]; ran: () => number } {
  const reported: { error: unknown; context: FailureContext }[] = []
  const app = service('echo', { onError: (error, context) => reported.push({ error, context }) })
  let runs = 0
  app.handle(echo, (request) => {
    runs++
    return { ...request.body, responder: 'r' }
  })
  return { app, reported, ran: () => runs }
}

export function dropRulesSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('drop rules', () => {
    it('answers only to an inbox of its own prefix: another prefix, a missing or a malformed reply-to drops the request', async () => {
      const { service, transport, policy } = kit()
      const { app, reported, ran } = countedEcho(service)
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
      assert.equal(ran(), 0, 'no handler ran')
      assert.ok(reported.every(({ error, context }) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR') && context.kind === 'message-dropped'))
      // A marker after the drops: anything the service wrote to the foreign inbox would come first.
      await watcher.send([{ ...raw(policy, foreignInbox, 'event', {}, { marker: true }), partition: 0 }])
      await waitUntil(() => written.length >= 1, 'the marker arrives')
      assert.equal(written.length, 1, 'nothing but the marker in the other prefix’s inbox')
      await watch.close(false)
    })

    it('a reply address naming a partition its inbox lacks, or an inbox that does not exist, drops the request before the handler runs', async () => {
      const { service, client, transport, policy } = kit()
      const { app, reported, ran } = countedEcho(service)
      await app.listen()
      const caller = client('caller')
      await caller.ready()
      const inbox = topicNames.allowedInbox(policy, caller.address ?? '')
      assert.ok(inbox)
      const request = (replyTo: string): OutgoingMessage =>
        raw(policy, topicNames.requests(policy, 'echo'), 'request', { replyTo, deadline: Date.now() + 20_000, method: echo.method, path: echo.path }, { caller: 'c', n: 1 })
      await transport().send([request(`${inbox.topic}:7`), request(`${inbox.topic}:999999`), request(`${topicNames.inbox(policy, 'ghost', 'gone')}:0`)])
      // The missing inbox is looked for again for about 1.6 s before the request is dropped.
      await waitUntil(() => app.stats().rejectedReplyTargets === 3, 'the three requests are dropped', 10_000)
      assert.equal(ran(), 0, 'no handler ran')
      const messages = reported.map(({ error }) => (error as Error).message)
      assert.ok(reported.every(({ error, context }) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR') && context.kind === 'message-dropped'))
      assert.ok(messages.some((message) => message.includes('no partition 7')), messages.join('\n'))
      assert.ok(messages.some((message) => message.includes('no partition 999999')))
      assert.ok(messages.some((message) => message.includes('does not exist')))
      // The caller's own partition 0 got nothing: its next call's reply is the first record there.
      assert.deepEqual(await caller.call(echo, { body: { caller: 'c', n: 2 } }), { caller: 'c', n: 2, responder: 'r' })
      assert.equal(caller.stats().lateAnswers, 0, 'no answer to the dropped requests reached partition 0')
    })

    it('a deadline further ahead than policy.maxTimeoutMs is cut down to it: the handler keeps its signal and a stream ends', async () => {
      const { service, transport, policy } = kit({ maxTimeoutMs: 60_000 })
      const countTo = stream('echo', 'POST /count-to', { body: z.object({ n: z.number() }), item: z.object({ n: z.number() }) })
      const app = service('echo')
      const seen: { aborted: boolean; deadline: number; at: number }[] = []
      app.handle(echo, async (request, context) => {
        await sleep(100)
        seen.push({ aborted: context.signal.aborted, deadline: context.deadline, at: Date.now() })
        return { ...request.body, responder: 'r' }
      })
      app.handle(countTo, async function* (request, context) {
        for (let n = 1; n <= request.body.n; n++) {
          await sleep(20)
          if (context.signal.aborted) return
          yield { n }
        }
      })
      await app.listen()
      const writer = transport()
      const received: IncomingMessage[] = []
      const inbox = await writer.openInbox({ topic: topicNames.inbox(policy, 'raw', 'far'), retentionMs: 60_000, create: true, onError: () => undefined, onMessage: (message) => received.push(message) })
      // 40 days ahead: past the 2^31−1 ms a timer can wait, which would fire it at once.
      const deadline = Date.now() + 40 * 24 * 3_600_000
      await writer.send([
        raw(policy, topicNames.requests(policy, 'echo'), 'request', { replyTo: inbox.address, deadline, method: echo.method, path: echo.path }, { caller: 'c', n: 1 }),
        raw(policy, topicNames.requests(policy, 'echo'), 'request', { replyTo: inbox.address, deadline, method: countTo.method, path: countTo.path }, { n: 3 }),
      ])
      const kinds = (): string[] => received.map((message) => envelopeField(message.headers, 'kipc-kind') ?? '')
      await waitUntil(() => kinds().includes('reply') && kinds().includes('end'), 'the reply and the stream end arrive', 10_000)
      const [handled] = seen
      assert.ok(handled)
      assert.equal(handled.aborted, false, 'the signal did not fire after 100 ms')
      assert.ok(handled.deadline <= handled.at + 60_000, `ctx.deadline is cut to now + maxTimeoutMs (${handled.deadline - handled.at} ms ahead)`)
      assert.equal(kinds().filter((kind) => kind === 'item' || kind === 'items').length > 0, true, 'the stream sent its items')
      await inbox.close(true)
    })

    it('a call refuses a timeout longer than policy.maxTimeoutMs before sending anything', async () => {
      const { service, client } = kit({ maxTimeoutMs: 60_000 })
      const app = service('echo')
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      await app.listen()
      const error: unknown = await client('caller').call(echo, { body: { caller: 'c', n: 1 }, timeout: 60_001 }).catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /maxTimeoutMs 60000/.test(error.message), String(error))
      assert.equal(app.stats().handled, 0)
    })

    it('a record of the wrong kind on a request, event or inbox topic is dropped, counted and reported; the next good one is handled', async () => {
      const { service, client, transport, policy } = kit()
      const reported: { error: unknown; context: FailureContext }[] = []
      const app = service('echo', { onError: (error, context) => reported.push({ error, context }) })
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
      const onRequestTopic = reported.filter(({ context }) => context.topic === topicNames.requests(policy, 'echo'))
      assert.deepEqual(
        onRequestTopic.map(({ error, context }) => [isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'), context.kind, /Unexpected (reply|event) record/.test((error as Error).message)]),
        [[true, 'message-dropped', true], [true, 'message-dropped', true]],
        'each wrong kind on the request topic is reported, not only counted',
      )
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
