// What a caller and a responder do with records that break the rules: answers of the wrong kind,
// malformed or empty `items`, repeated stream sequence numbers, oversized and undecodable
// requests, an impossible status; and how calls end when the caller cancels or closes. Odd records
// are written raw, as a misbehaving client in any language could.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { route } from '../../src/core/contracts.ts'
import { isKafkaIpcError, RemoteError } from '../../src/core/kafka-ipc-error.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import type { Policy } from '../../src/core/policy.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { Inbox, IncomingMessage, OutgoingMessage, Transport } from '../../src/core/transport.ts'
import { type Envelope, readEnvelope } from '../../src/core/protocol/envelope.ts'
import { countdown, echo, seatHold, sleepThenDone, slow } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

/** An error answer as a raw caller reads it: its correlation, status and error code. */
export interface RawAnswer {
  readonly correlation: string | undefined
  readonly status: number | undefined
  readonly code: unknown
}

/** A raw caller's inbox (`raw`, instance `x`) that collects the error answers it gets. */
export async function rawAnswerInbox(transport: Transport, policy: Policy): Promise<{ inbox: Inbox; answers: RawAnswer[] }> {
  const answers: RawAnswer[] = []
  const inbox = await transport.openInbox({
    topic: topicNames.inbox(policy, 'raw', 'x'),
    retentionMs: 60_000,
    create: true,
    onError: () => undefined,
    onMessage: (message) => {
      const envelope = readEnvelope(message.headers)
      answers.push({ correlation: envelope.correlation, status: envelope.status, code: (JSON.parse(new TextDecoder().decode(message.value)) as { code?: unknown }).code })
    },
  })
  return { inbox, answers }
}

/**
 * A raw responder for the `echo` service: answers each request with the records `answer` builds,
 * addressed to the caller's inbox.
 */
async function rawEcho(policy: Policy, transport: Transport, answer: (envelope: Envelope, to: { topic: string; partition: number }) => OutgoingMessage[]): Promise<{ close(): Promise<void> }> {
  const topic = topicNames.requests(policy, 'echo')
  await transport.ensureTopics([{ name: topic, partitions: policy.partitions, replication: -1, retentionMs: 60_000 }], true)
  return transport.subscribe({
    group: topicNames.group(policy, 'echo'),
    topics: [topic],
    startFrom: 'earliest',
    maxInFlight: 8,
    onError: () => undefined,
    onMessage: async (message: IncomingMessage) => {
      const envelope = readEnvelope(message.headers)
      const to = topicNames.allowedInbox(policy, envelope.replyTo ?? '')
      if (to !== undefined) await transport.send(answer(envelope, to))
    },
  })
}

export function protocolEdgesSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('protocol edges', () => {
    it('a route answered with a stream item fails with KIPC_PROTOCOL_ERROR', async () => {
      const { client, transport, policy } = kit()
      const responder = await rawEcho(policy, transport(), (envelope, to) => [buildMessage(to, 'item', { correlation: envelope.id, service: 'echo', seq: 0 }, { n: 1 }, policy.codec, policy.maxMessageBytes)])
      try {
        const error: unknown = await client('caller')
          .call(echo, { body: { caller: 'c', n: 1 } })
          .catch((caught: unknown) => caught)
        assert.ok(isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'), String(error))
        assert.match(error.message, /with a stream item/)
      } finally {
        await responder.close()
      }
    })

    it('an items record that is not a non-empty array, or an undecodable reply, fails the call with 502 KIPC_PROTOCOL_ERROR', async () => {
      for (const [kind, value] of [
        ['items', '{"n":1}'],
        ['items', '[]'],
        ['reply', '{not json'],
      ] as const) {
        const { client, transport, policy } = kit()
        const responder = await rawEcho(policy, transport(), (envelope, to) => [
          { ...buildMessage(to, kind, { correlation: envelope.id, service: 'echo', seq: 0 }, null, policy.codec, policy.maxMessageBytes), value: new TextEncoder().encode(value) },
        ])
        try {
          const caller = client('caller')
          const error: unknown =
            kind === 'items'
              ? await (async () => {
                  for await (const item of caller.stream(countdown, { body: { from: 3 } })) assert.ok(item)
                })().catch((caught: unknown) => caught)
              : await caller.call(echo, { body: { caller: 'c', n: 1 } }).catch((caught: unknown) => caught)
          assert.ok(isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'), `${kind} ${value}: ${String(error)}`)
          assert.equal(error.status, 502)
        } finally {
          await responder.close()
        }
      }
    })

    it('a stream skips an item whose sequence number it already has, and ends at the end marker', async () => {
      const { client, transport, policy } = kit()
      const responder = await rawEcho(policy, transport(), (envelope, to) => {
        const record = (kind: 'item' | 'items' | 'end', seq: number, body: unknown): OutgoingMessage => buildMessage(to, kind, { correlation: envelope.id, service: 'echo', seq, status: 200 }, body, policy.codec, policy.maxMessageBytes)
        // 0, 1, 1 again, 2 and 3 in one items record, 1 again inside an items record, the end.
        return [record('item', 0, { n: 3 }), record('item', 1, { n: 2 }), record('item', 1, { n: 2 }), record('items', 2, [{ n: 1 }, { n: 0 }]), record('items', 1, [{ n: 2 }]), record('end', 4, null)]
      })
      try {
        const items: number[] = []
        for await (const item of client('caller').stream(countdown, { body: { from: 3 } })) items.push(item.n)
        assert.deepEqual(items, [3, 2, 1, 0])
      } finally {
        await responder.close()
      }
    })

    it('an oversized inbox record is dropped and counted, and the call runs into its deadline', async () => {
      const { client, transport, policy } = kit({ maxMessageBytes: 1_000 })
      const responder = await rawEcho(policy, transport(), (envelope, to) => [
        { ...buildMessage(to, 'reply', { correlation: envelope.id, service: 'echo', status: 200 }, null, policy.codec, policy.maxMessageBytes), value: new TextEncoder().encode(JSON.stringify({ caller: 'x'.repeat(2_000), n: 1, responder: 'r' })) },
      ])
      try {
        const caller = client('caller')
        const error: unknown = await caller.call(echo, { body: { caller: 'c', n: 1 }, timeout: 2_000 }).catch((caught: unknown) => caught)
        assert.ok(isKafkaIpcError(error, 'KIPC_TIMEOUT'), String(error))
        assert.equal(caller.stats().malformedMessages, 1)
      } finally {
        await responder.close()
      }
    })

    it('answers an oversized request with 413 and an undecodable one with 400, without running the handler', async () => {
      const { service, transport, policy } = kit({ maxMessageBytes: 1_000 })
      const app = service('echo')
      let ran = 0
      app.handle(echo, (request) => {
        ran++
        return { ...request.body, responder: 'r' }
      })
      await app.listen()
      const raw = transport()
      const { inbox, answers } = await rawAnswerInbox(raw, policy)
      try {
        const request = (id: string, value: string): OutgoingMessage => ({
          ...buildMessage({ topic: topicNames.requests(policy, 'echo') }, 'request', { replyTo: inbox.address, deadline: Date.now() + 10_000, method: echo.method, path: echo.path, service: 'raw' }, null, policy.codec, policy.maxMessageBytes, undefined, id),
          value: new TextEncoder().encode(value),
        })
        await raw.send([request('too-big-request-id', JSON.stringify({ caller: 'x'.repeat(2_000), n: 1 })), request('undecodable-request-id', '{"caller": ')])
        await waitUntil(() => answers.length >= 2, 'both requests are answered')
        assert.deepEqual(
          answers.sort((a, b) => String(a.correlation).localeCompare(String(b.correlation))),
          [
            { correlation: 'too-big-request-id', status: 413, code: 'KIPC_PAYLOAD_TOO_LARGE' },
            { correlation: 'undecodable-request-id', status: 400, code: 'KIPC_BAD_REQUEST' },
          ],
        )
        assert.equal(ran, 0)
      } finally {
        await inbox.close(true)
      }
    })

    it('a status set by the handler must be a final one, 200–599: 201 goes through, 700 and 101 fail the call with KIPC_HANDLER_ERROR', async () => {
      const { service, client } = kit()
      const withStatus = route('echo', 'POST /status', { body: z.object({ status: z.number() }), reply: z.object({ ok: z.boolean() }) })
      const app = service('echo')
      app.handle(withStatus, (request, context) => {
        context.status = request.body.status
        return { ok: true }
      })
      await app.listen()
      const caller = client('caller')
      assert.deepEqual(await caller.call(withStatus, { body: { status: 201 } }), { ok: true })
      const error: unknown = await caller.call(withStatus, { body: { status: 700 } }).catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(error, 'KIPC_HANDLER_ERROR'), String(error))
      assert.match(error.message, /status 700/)
      await assert.rejects(caller.call(withStatus, { body: { status: 101 } }), (caught: unknown) => isKafkaIpcError(caught, 'KIPC_HANDLER_ERROR'))
    })

    it('a call or a gather ends with KIPC_CANCELLED when its signal aborts, and leaves nothing pending', async () => {
      const { service, client } = kit()
      const app = service('echo')
      app.handle(slow, sleepThenDone)
      // Slower than the test's abort, quick enough that closing the service (which waits for
      // handlers in flight) does not wait for the deadline.
      app.handle(seatHold, async (_request, context) => {
        await sleep(2_000, undefined, { signal: context.signal })
        return { carrier: 'c', seats: 1 }
      })
      await app.listen()
      const caller = client('caller')
      for (const start of [
        (signal: AbortSignal) => caller.call(slow, { body: { ms: 2_000 }, signal, timeout: 60_000 }),
        (signal: AbortSignal) => caller.gather(seatHold, { body: { flight: 'LO26' }, expect: 1, signal, timeout: 60_000 }),
      ]) {
        const controller = new AbortController()
        const ending = start(controller.signal).catch((caught: unknown) => caught)
        await waitUntil(() => caller.stats().pending === 1, 'the request is pending')
        controller.abort()
        const error: unknown = await ending
        assert.ok(isKafkaIpcError(error, 'KIPC_CANCELLED'), String(error))
        assert.equal(caller.stats().pending, 0)
      }
      const aborted = AbortSignal.abort()
      assert.ok(isKafkaIpcError(await caller.call(slow, { body: { ms: 1 }, signal: aborted }).catch((caught: unknown) => caught), 'KIPC_CANCELLED'), 'an already aborted signal sends nothing')
    })

    it('close() ends the calls, streams and gathers still waiting with a local, retryable KIPC_UNAVAILABLE — not an error from the other service', async () => {
      const { service, client } = kit()
      const app = service('echo')
      app.handle(slow, sleepThenDone)
      app.handle(countdown, async function* (request, context) {
        yield { n: request.body.from }
        await sleep(60_000, undefined, { signal: context.signal })
      })
      app.handle(seatHold, async (_request, context) => {
        await sleep(60_000, undefined, { signal: context.signal })
        return { carrier: 'never', seats: 0 }
      })
      await app.listen()
      const caller = client('caller')
      // Deadlines of 5 s: the caller closes at once; the handlers then end at their deadline, so the service's close() does not wait long.
      const call = caller.call(slow, { body: { ms: 60_000 }, timeout: 5_000 }).catch((caught: unknown) => caught)
      const streamed = (async () => {
        const items: unknown[] = []
        for await (const item of caller.stream(countdown, { body: { from: 3 }, timeout: 5_000 })) items.push(item)
      })().catch((caught: unknown) => caught)
      const gathered = caller.gather(seatHold, { body: { flight: 'LO1' }, timeout: 5_000 }).catch((caught: unknown) => caught)
      await waitUntil(() => caller.stats().pending === 3, 'the three are pending')
      await caller.close()
      for (const [what, outcome] of [['call', await call], ['stream', await streamed], ['gather', await gathered]] as const) {
        assert.ok(isKafkaIpcError(outcome, 'KIPC_UNAVAILABLE'), `${what}: ${String(outcome)}`)
        assert.ok(!(outcome instanceof RemoteError), `${what}: the local shutdown is not blamed on echo`)
        assert.equal(outcome.retryable, true)
        assert.match(outcome.message, /caller is shutting down/)
      }
      assert.equal(caller.stats().pending, 0)
    })
  })
}
