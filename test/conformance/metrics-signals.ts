// What the Prometheus metrics read, on every transport: a subscription's consumer lag (the end of
// each held partition's log minus the group's committed offset), the kafka-ipc:drop channel, and
// how a handle trace tells a declared route from a mounted app's or an unrouted request's path.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { type CallTrace, diagnostics, type DropTrace, type HandleTrace } from '../../src/core/diagnostics.ts'
import { route } from '../../src/core/contracts.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { ConsumerLag } from '../../src/core/service.ts'
import { booked, echo, getBooking } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'

const total = (lags: readonly ConsumerLag[], topic: string): number => lags.filter((lag) => lag.topic === topic).reduce((sum, { lag }) => sum + lag, 0)

/** Polls lag() until `want` holds. */
async function lagUntil(read: () => Promise<ConsumerLag[]>, want: (lags: ConsumerLag[]) => boolean, what: string): Promise<ConsumerLag[]> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const lags = await read()
    if (want(lags)) return lags
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}: ${JSON.stringify(lags)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export function metricsSignalsSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('metrics signals', () => {
    it('lag() lists every held partition by group, grows while records wait, and is back to 0 once they are handled and committed', async () => {
      const { service, client, policy } = kit()
      const app = service('echo')
      const gate = Promise.withResolvers<undefined>()
      app.handle(echo, async (request) => {
        await gate.promise
        return { ...request.body, responder: 'r' }
      })
      app.on(booked, () => undefined)
      assert.deepEqual(await app.lag(), [], 'nothing before listen()')
      await app.listen()
      const requests = topicNames.requests(policy, 'echo')
      const events = topicNames.event(policy, booked.name)
      const idle = await lagUntil(() => app.lag(), (lags) => lags.length === 6, 'every partition is held')
      assert.deepEqual(
        idle.map(({ group, topic, partition, lag }) => `${group} ${topic}:${String(partition)} ${String(lag)}`).sort(),
        [0, 1, 2].flatMap((partition) => [`${topicNames.group(policy, 'echo')} ${requests}:${String(partition)} 0`, `${topicNames.eventGroup(policy, 'echo')} ${events}:${String(partition)} 0`]).sort(),
      )
      const caller = client('web')
      // One key: one partition, handled one at a time; the first waits at the gate, the rest behind it.
      const calls = Array.from({ length: 4 }, (_, n) => caller.call(echo, { body: { caller: 'web', n }, key: 'k', timeout: 30_000 }))
      const waiting = await lagUntil(() => app.lag(), (lags) => total(lags, requests) === 4, 'the 4 requests are lag')
      assert.equal(waiting.filter((lag) => lag.lag > 0).length, 1, 'all in the partition of their key')
      assert.equal(total(waiting, events), 0)
      gate.resolve(undefined)
      assert.equal((await Promise.all(calls)).length, 4)
      await lagUntil(() => app.lag(), (lags) => lags.length === 6 && total(lags, requests) === 0, 'the handled requests are committed')
      await app.close()
      assert.deepEqual(await app.lag(), [], 'nothing after close()')
    })

    it('publishes each dropped record on kafka-ipc:drop with its reason and context', async () => {
      const { service, client, policy, transport } = kit()
      const app = service('echo')
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      await app.listen()
      const caller = client('web')
      await caller.ready()
      const dropped: DropTrace[] = []
      const listener = (message: DropTrace): void => {
        if (message.topic.startsWith(`${policy.prefix}.`)) dropped.push(message)
      }
      diagnostics.drop.subscribe(listener)
      try {
        const id = randomUUID()
        const expired = buildMessage({ topic: topicNames.requests(policy, 'echo') }, 'request', { replyTo: caller.address, deadline: Date.now() - 1_000, method: echo.method, path: echo.path, service: 'web' }, { caller: 'web', n: 1 }, policy.codec, policy.maxMessageBytes, undefined, id)
        await transport().send([expired])
        const deadline = Date.now() + 10_000
        while (dropped.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
        assert.equal(dropped.length, 1)
        const [drop] = dropped
        assert.equal(drop?.service, 'echo')
        assert.equal(drop.reason, 'expired')
        assert.equal(drop.id, id)
        assert.equal(drop.caller, 'web')
        assert.equal(drop.topic, topicNames.requests(policy, 'echo'))
        assert.equal(typeof drop.offset, 'bigint')
        assert.equal((drop.error as { code?: string }).code, 'KIPC_TIMEOUT')
        assert.equal(app.stats().expired, 1)
      } finally {
        diagnostics.drop.unsubscribe(listener)
      }
    })

    it('a handle trace says whether its target is a declared route, a mounted app\'s path or an unrouted one; a fetch call trace that its target is literal', async () => {
      const { service, client, policy } = kit()
      const mounted = service('echo')
      mounted.handle(getBooking, (request) => ({ id: request.params.id }))
      mounted.mount(() => new Response('from the app'))
      await mounted.listen()
      const handled: HandleTrace[] = []
      const called: CallTrace[] = []
      const handle = { asyncEnd: (trace: HandleTrace) => trace.topic.startsWith(`${policy.prefix}.`) && handled.push(trace) }
      const call = { asyncEnd: (trace: CallTrace) => trace.topic.startsWith(`${policy.prefix}.`) && called.push(trace) }
      diagnostics.handle.subscribe(handle)
      diagnostics.call.subscribe(call)
      try {
        const caller = client('web')
        assert.deepEqual(await caller.call(getBooking, { params: { id: 'B7' } }), { id: 'B7' })
        assert.equal(await (await caller.fetch('kafka://echo/anything/42')).text(), 'from the app')
        const unrouted = service('unrouted')
        unrouted.handle(route('unrouted', 'POST /only', {}), () => undefined)
        await unrouted.listen()
        assert.equal((await caller.fetch('kafka://unrouted/nowhere/1')).status, 404)
        const deadline = Date.now() + 10_000
        while (handled.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
        assert.deepEqual(handled.map(({ target, match }) => `${match} ${target}`).sort(), ['declared GET /bookings/:id', 'mounted GET /anything/42', 'none GET /nowhere/1'])
        assert.deepEqual(called.map(({ target, literal }) => `${String(literal ?? false)} ${target}`).sort(), ['false echo GET /bookings/:id', 'true echo GET /anything/42', 'true unrouted GET /nowhere/1'])
      } finally {
        diagnostics.handle.unsubscribe(handle)
        diagnostics.call.unsubscribe(call)
      }
    })
  })
}
