// Request-reply: replies reach exactly the asking instance, deadlines hold, errors are typed.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { isKafkaIpcError, RemoteError } from '../../src/core/kafka-ipc-error.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { Service } from '../../src/core/service.ts'
import { echo, fail, getBooking, missing, slow } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { envelopeField } from '../../src/core/protocol/packed-envelope.ts'

export function requestReplySuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('request-reply', () => {
    it('resolves with the reply, path parameters filled and parsed', async () => {
      const { service, client } = kit()
      const app = service('echo')
      app.handle(echo, (req) => ({ ...req.body, responder: 'r1' }))
      app.handle(getBooking, (req) => ({ id: req.params.id }))
      await app.listen()
      const caller = client('caller')
      assert.deepEqual(await caller.call(echo, { body: { caller: 'c1', n: 7 } }), { caller: 'c1', n: 7, responder: 'r1' })
      assert.deepEqual(await caller.call(getBooking, { params: { id: 'B 42/x' } }), { id: 'B 42/x' })
      assert.equal(caller.stats().pending, 0)
    })

    it('routes every reply to the instance that asked: 3 callers × 3 responders, misrouted = 0', async () => {
      const { service, client, policy } = kit()
      const responders = ['r1', 'r2', 'r3'].map((id) => {
        const app = service('echo', { instanceId: id })
        app.handle(echo, async (req) => {
          await sleep(Math.random() * 5)
          return { ...req.body, responder: id }
        })
        return app
      })
      await Promise.all(responders.map((app) => app.listen()))
      await waitForSettledGroup(responders, topicNames.requests(policy, 'echo'), policy.partitions)
      const callers = ['c1', 'c2', 'c3'].map((id) => client('caller', { instanceId: id }))
      await Promise.all(callers.map((caller) => caller.ready()))
      const perCaller = 40
      const handledBy = new Set<string>()
      await Promise.all(
        callers.map(async (caller) => {
          const replies = await Promise.all(Array.from({ length: perCaller }, (_, n) => caller.call(echo, { body: { caller: caller.instanceId, n } })))
          replies.forEach((reply, n) => {
            assert.deepEqual([reply.caller, reply.n], [caller.instanceId, n])
            handledBy.add(reply.responder)
          })
        }),
      )
      // A reply sent to the wrong inbox finds no pending call there and is counted as late.
      const misrouted = callers.reduce((sum, caller) => sum + caller.stats().lateAnswers, 0)
      assert.equal(misrouted, 0)
      // A reply can reach its caller before the responder's producer hears the broker's ack.
      await waitUntil(() => responders.reduce((sum, app) => sum + app.stats().handled, 0) === 3 * perCaller, 'each request is handled once')
      assert.ok(handledBy.size >= 2, `the work is shared (handled by ${[...handledBy].join(', ')})`)
      for (const caller of callers) assert.deepEqual([caller.stats().lateAnswers, caller.stats().timeouts], [0, 0])
    })

    it('answers the first request sent right after listen() and ready(), every time', async () => {
      for (let round = 0; round < 8; round++) {
        const { service, client } = kit()
        const app = service('echo')
        app.handle(echo, (req) => ({ ...req.body, responder: 'r' }))
        await app.listen()
        const caller = client('caller')
        // Half the rounds open the inbox first, half let the first call do it.
        if (round % 2 === 0) await caller.ready()
        assert.equal((await caller.call(echo, { body: { caller: 'first', n: round } })).n, round)
        assert.equal(caller.stats().timeouts, 0)
      }
    })

    it('rejects at the deadline with KIPC_TIMEOUT, frees the entry, and the responder stops on its signal', async () => {
      const { service, client } = kit()
      const app = service('echo')
      let sawAbort = false
      app.handle(slow, async (req, ctx) => {
        await sleep(req.body.ms, undefined, { signal: ctx.signal }).catch(() => {
          sawAbort = true
        })
        return { done: true }
      })
      await app.listen()
      const caller = client('caller')
      // The inbox first, so that the timing below is the call's alone.
      await caller.ready()
      const started = Date.now()
      const error: unknown = await caller.call(slow, { body: { ms: 10_000 }, timeout: 400 }).catch((e: unknown) => e)
      const took = Date.now() - started
      assert.ok(isKafkaIpcError(error, 'KIPC_TIMEOUT'), String(error))
      assert.equal(error.status, 504)
      // Never before the deadline; the upper bound only says "long before the handler's 10 s",
      // generous enough for a loaded 2-core machine.
      assert.ok(took >= 390 && took < 5_000, `rejected at the deadline (${took} ms)`)
      assert.equal(caller.stats().pending, 0)
      assert.equal(caller.stats().timeouts, 1)
      await waitUntil(() => sawAbort, 'the handler sees its signal abort')
    })

    it('drops and counts a reply that arrives after the deadline', async () => {
      const { policy, transport, client } = kit()
      const caller = client('caller')
      await caller.ready()
      // A raw responder that answers late, as a slow instance with a skewed clock would.
      const raw = transport()
      const topic = topicNames.requests(policy, 'echo')
      await raw.ensureTopics([{ name: topic, partitions: 1, replication: -1, retentionMs: 60_000 }], true)
      const subscription = await raw.subscribe({
        group: `${policy.prefix}.late-responder`,
        topics: [topic],
        startFrom: 'earliest',
        maxInFlight: 8,
        onError: () => undefined,
        onMessage: async (message) => {
          await sleep(600)
          const [inbox, partition] = (envelopeField(message.headers, 'kipc-reply-to') ?? '').split(':')
          await raw.send([buildMessage({ topic: inbox ?? '', partition: Number(partition) }, 'reply', { correlation: envelopeField(message.headers, 'kipc-id'), service: 'echo', status: 200 }, { caller: 'x', n: 0, responder: 'late' }, policy.codec, policy.maxMessageBytes)])
        },
      })
      const error: unknown = await caller.call(echo, { body: { caller: 'c', n: 0 }, timeout: 300 }).catch((e: unknown) => e)
      assert.ok(isKafkaIpcError(error, 'KIPC_TIMEOUT'))
      await waitUntil(() => caller.stats().lateAnswers === 1, 'the late reply is counted')
      assert.equal(caller.stats().pending, 0)
      await subscription.close()
    })

    it('skips a request whose deadline passed before it was picked up', async () => {
      const { policy, transport, service } = kit()
      const app = service('echo')
      let calls = 0
      app.handle(echo, (req) => {
        calls++
        return { ...req.body, responder: 'r' }
      })
      await app.listen()
      const raw = transport()
      const message = buildMessage(
        { topic: topicNames.requests(policy, 'echo') },
        'request',
        { replyTo: `${topicNames.inbox(policy, 'nobody', 'x')}:0`, deadline: Date.now() - 1, method: 'POST', path: '/echo' },
        { caller: 'c', n: 1 },
        policy.codec,
        policy.maxMessageBytes,
      )
      await raw.send([message])
      await waitUntil(() => app.stats().expired === 1, 'the expired request is counted')
      assert.equal(calls, 0)
    })

    it('gives typed errors: 400 invalid body, 404 unknown route, 500 thrown error, custom codes kept, stacks hidden', async () => {
      const { service, client } = kit()
      const app = service('echo')
      app.handle(echo, (req) => ({ ...req.body, responder: 'r' }))
      app.handle(fail, (req) => {
        if (req.body.kind === 'plain') throw new Error('boom')
        throw new (class extends Error {})('unused')
      })
      await app.listen()
      const caller = client('caller')

      const invalid: unknown = await caller.call(echo, { body: { caller: 'c', n: 'seven' as unknown as number } }).catch((e: unknown) => e)
      assert.ok(invalid instanceof RemoteError)
      assert.equal(invalid.code, 'KIPC_BAD_REQUEST')
      assert.equal(invalid.status, 400)
      assert.equal(invalid.service, 'echo')
      assert.match(invalid.message, /n:/)

      const notFound: unknown = await caller.call(missing, {}).catch((e: unknown) => e)
      assert.ok(notFound instanceof RemoteError)
      assert.equal(notFound.code, 'KIPC_NOT_FOUND')
      assert.equal(notFound.status, 404)

      const thrown: unknown = await caller.call(fail, { body: { kind: 'plain' } }).catch((e: unknown) => e)
      assert.ok(thrown instanceof RemoteError)
      assert.equal(thrown.code, 'KIPC_HANDLER_ERROR')
      assert.equal(thrown.status, 500)
      assert.equal(thrown.message, 'boom')
      assert.equal(thrown.remoteStack, undefined)
    })

    it('checks replies against the contract (502 KIPC_INVALID_REPLY), unless the policy turns it off', async () => {
      for (const validateReplies of [true, false]) {
        const { service, client } = kit({ validateReplies })
        const app = service('echo')
        // A handler bug the type checker would catch; the cast stands in for untyped code.
        app.handle(echo, (req) => ({ ...req.body, responder: 42 }) as unknown as { caller: string; n: number; responder: string })
        await app.listen()
        const outcome: unknown = await client('caller')
          .call(echo, { body: { caller: 'c', n: 1 } })
          .catch((e: unknown) => e)
        if (validateReplies) {
          assert.ok(outcome instanceof RemoteError, String(outcome))
          assert.equal(outcome.code, 'KIPC_INVALID_REPLY')
          assert.equal(outcome.status, 502)
        } else {
          assert.deepEqual(outcome, { caller: 'c', n: 1, responder: 42 })
        }
      }
    })

    it('carries an application error code and status from handler to caller, and the stack when the policy exposes it', async () => {
      const { service, client } = kit({ exposeErrorStack: true })
      const { KafkaIpcError } = await import('../../src/core/kafka-ipc-error.ts')
      const app = service('echo')
      app.handle(fail, () => {
        throw new KafkaIpcError('SEAT_TAKEN', 'Seat 12A is taken', { status: 409 })
      })
      await app.listen()
      const error: unknown = await client('caller').call(fail, { body: { kind: 'coded' } }).catch((e: unknown) => e)
      assert.ok(error instanceof RemoteError)
      assert.equal(error.code, 'SEAT_TAKEN')
      assert.equal(error.status, 409)
      assert.equal(error.message, 'Seat 12A is taken')
      assert.match(error.remoteStack ?? '', /Seat 12A is taken/)
    })

    it('carries the maximum 64 application headers and the ordering key to the handler', async () => {
      const { service, client } = kit()
      const app = service('echo')
      const seen: { headers: Readonly<Record<string, string>>; key: string | undefined }[] = []
      app.handle(echo, (req) => {
        seen.push({ headers: req.headers, key: req.key })
        return { ...req.body, responder: 'r' }
      })
      await app.listen()
      const headers = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`x-h${i}`, `v${i}`]))
      await client('caller').call(echo, { body: { caller: 'c', n: 1 }, headers, key: 'order-7' })
      const [first] = seen
      assert.ok(first)
      assert.equal(Object.keys(first.headers).filter((name) => name.startsWith('x-h')).length, 64)
      assert.equal(first.headers['x-h63'], 'v63')
      assert.equal(first.key, 'order-7')
    })

    it('close() while listen() is still starting leaves nothing consuming, and listen() says so', async () => {
      const { service, transport, policy } = kit()
      const observer = transport()
      for (const delay of [0, 50, 300]) {
        const app = service('echo')
        app.handle(echo, (req) => ({ ...req.body, responder: 'r' }))
        const listening = app.listen().then(
          () => 'listened',
          (error: unknown) => (isKafkaIpcError(error, 'KIPC_UNAVAILABLE') ? 'refused' : error),
        )
        await sleep(delay)
        await app.close()
        const outcome = await listening
        assert.ok(outcome === 'listened' || outcome === 'refused', String(outcome))
        // Asked of the broker, not of the service: a consumer that outlived close() would still be a member.
        assert.equal(await observer.groupMembers(topicNames.group(policy, 'echo')), 0, `nothing is consumed after close (delay ${delay} ms)`)
      }
    })

    it('refuses a malformed timeout before sending anything, and rounds a fractional one up to whole ms', async () => {
      const { service, client } = kit()
      const app = service('echo')
      const deadlines: number[] = []
      app.handle(echo, (request, context) => {
        deadlines.push(context.deadline)
        return { ...request.body, responder: 'r' }
      })
      await app.listen()
      const caller = client('caller')
      for (const timeout of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const error: unknown = await caller.call(echo, { body: { caller: 'c', n: 1 }, timeout }).catch((e: unknown) => e)
        assert.ok(isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'), String(timeout))
      }
      // The next request is the first the service sees: the refused ones wrote nothing.
      await caller.call(echo, { body: { caller: 'c', n: 2 }, timeout: 4_000.4 })
      assert.equal(deadlines.length, 1)
      assert.ok(Number.isInteger(deadlines[0]), 'the deadline travels as whole milliseconds')
      // Counted once the reply is acknowledged, which may come after the caller has it: close() waits for that.
      await app.close()
      assert.equal(app.stats().handled, 1)
    })

    it('never writes a reply to a topic that is not an inbox', async () => {
      const { policy, transport, service } = kit()
      const app = service('echo')
      app.handle(echo, (req) => ({ ...req.body, responder: 'r' }))
      await app.listen()
      const raw = transport()
      const victim = `${policy.prefix}.orders`
      await raw.ensureTopics([{ name: victim, partitions: 1, replication: -1, retentionMs: 60_000 }], true)
      const written: unknown[] = []
      const watch = await raw.openInbox({ topic: victim, retentionMs: 60_000, create: false, onMessage: (message) => written.push(message), onError: () => undefined })
      await raw.send([buildMessage({ topic: topicNames.requests(policy, 'echo') }, 'request', { replyTo: `${victim}:0`, deadline: Date.now() + 5_000, method: 'POST', path: '/echo' }, { caller: 'c', n: 1 }, policy.codec, policy.maxMessageBytes)])
      await waitUntil(() => app.stats().rejectedReplyTargets === 1, 'the request is rejected')
      // A marker written after the rejection: whatever the responder wrote before would arrive first.
      await raw.send([buildMessage({ topic: victim, partition: 0 }, 'event', {}, { marker: true }, policy.codec, policy.maxMessageBytes)])
      await waitUntil(() => written.length >= 1, 'the marker arrives')
      assert.equal(written.length, 1, 'only the marker: the responder wrote nothing to the victim topic')
      await watch.close(false)
    })
  })
}

/**
 * Waits until the instances of one service split `partitions` partitions of `topic` between them
 * with none left over: the group has settled after its members joined.
 */
export async function waitForSettledGroup(apps: readonly Service[], topic: string, partitions: number): Promise<void> {
  await waitUntil(() => {
    const held = apps.map((app) => app.assignments().filter((assignment) => assignment.topic === topic).map((assignment) => assignment.partition))
    const all = held.flat()
    return held.every((mine) => mine.length > 0) && all.length === partitions && new Set(all).size === partitions
  }, `the group on ${topic} settles`, 30_000)
}

/** Polls `condition` every 20 ms for up to 10 s. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(20)
  }
}
