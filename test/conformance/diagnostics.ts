// The diagnostics channels (docs/lifecycle.md): kafka-ipc:call, :handle, :emit and :event publish
// a trace with its documented context around each operation, with the outcome and the error.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type CallTrace, diagnostics, type EmitTrace, type EventTrace, type HandleTrace } from '../../src/core/diagnostics.ts'
import { RemoteError } from '../../src/core/kafka-ipc-error.ts'
import { booked, countdown, echo, fail, seatHold } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

type Seen = { channel: string; event: string; trace: object }

/** Subscribes to every event of every channel, keeping those whose topic has `prefix`; returns the log and how to stop. */
function listen(prefix: string): { seen: Seen[]; stop: () => void } {
  const seen: Seen[] = []
  const stops: (() => void)[] = []
  for (const [channel, tracing] of Object.entries(diagnostics)) {
    // A plain channel, not a tracing one: metrics-signals.ts follows it.
    if (channel === 'drop') continue
    const note = (event: string) => (trace: unknown): void => {
      const { topic } = trace as { topic: string }
      if (topic.startsWith(`${prefix}.`)) seen.push({ channel, event, trace: trace as object })
    }
    const handlers = { start: note('start'), end: note('end'), asyncStart: note('asyncStart'), asyncEnd: note('asyncEnd'), error: note('error') }
    ;(tracing as { subscribe(handlers: object): void }).subscribe(handlers)
    stops.push(() => {
      ;(tracing as { unsubscribe(handlers: object): void }).unsubscribe(handlers)
    })
  }
  return {
    seen,
    stop: () => {
      for (const stop of stops) stop()
    },
  }
}

export function diagnosticsSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('diagnostics channels', () => {
    it('traces calls, streams, gathers, emits, handled requests and events with their context, outcome and error', async () => {
      const { service, client, policy } = kit()
      const app = service('echo')
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      app.handle(fail, () => {
        throw new Error('boom')
      })
      app.handle(countdown, async function* (request) {
        for (let n = request.body.from; n > 0; n--) yield await Promise.resolve({ n })
      })
      app.handle(seatHold, () => ({ carrier: 'LO', seats: 2 }))
      app.on(booked, () => undefined)
      await app.listen()
      const caller = client('caller')
      await caller.ready()
      const { seen, stop } = listen(policy.prefix)
      try {
        await caller.call(echo, { body: { caller: 'c', n: 1 }, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
        await assert.rejects(caller.call(fail, { body: { kind: 'plain' } }), RemoteError)
        const items: number[] = []
        for await (const item of caller.stream(countdown, { body: { from: 2 } })) items.push(item.n)
        await caller.gather(seatHold, { body: { flight: 'LO1' }, expect: 1 })
        await caller.emit(booked, { id: 'B1', seq: 1 })
        await waitUntil(() => seen.filter(({ channel, event }) => channel === 'event' && event === 'asyncEnd').length === 1 && seen.filter(({ channel, event }) => channel === 'handle' && event === 'asyncEnd').length === 4, 'every trace ended')
      } finally {
        stop()
      }
      const ended = (channel: string): object[] => seen.filter((entry) => entry.channel === channel && entry.event === 'asyncEnd').map(({ trace }) => trace)
      const calls = ended('call') as CallTrace[]
      assert.deepEqual(calls.map(({ kind, target }) => `${kind} ${target}`), ['call echo POST /echo', 'call echo POST /fail', 'stream echo POST /countdown', 'gather gather seat.hold'])
      assert.ok(calls.every(({ client: name, id }) => name === 'caller' && typeof id === 'string' && id.length === 22))
      assert.ok(calls[1]?.error instanceof RemoteError, 'the failed call carries its error')
      const handled = ended('handle') as HandleTrace[]
      assert.deepEqual(handled.map(({ kind, target, outcome, status }) => `${kind} ${target} ${String(outcome)} ${String(status)}`).sort(), ['gather seat.hold answered 200', 'route POST /echo answered 200', 'route POST /fail failed 500', 'stream POST /countdown answered 200'])
      const echoed = handled.find(({ target }) => target === 'POST /echo')
      assert.equal(echoed?.headers['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'a tracer finds the caller’s traceparent')
      assert.equal(echoed.id, calls[0]?.id, 'the handled request is the call’s, by id')
      assert.equal(echoed.caller, 'caller')
      assert.equal((handled.find(({ target }) => target === 'POST /fail')?.error as Error).message, 'boom')
      const [emitted] = ended('emit') as EmitTrace[]
      const [event] = ended('event') as EventTrace[]
      assert.deepEqual([emitted?.name, event?.name, event?.service, event?.source, event?.outcome], [booked.name, booked.name, 'echo', 'caller', 'handled'])
      assert.equal(emitted?.id, event?.id, 'the event handled is the one emitted, by id')
      // Each trace starts before it ends, once; errors only where something failed.
      for (const channel of ['call', 'handle', 'emit', 'event']) {
        const events = seen.filter((entry) => entry.channel === channel)
        assert.equal(events.filter(({ event }) => event === 'start').length, events.filter(({ event }) => event === 'asyncEnd').length, channel)
      }
      assert.deepEqual(seen.filter(({ event }) => event === 'error').map(({ channel }) => channel).sort(), ['call', 'handle'])
    })

    it('publishes nothing, and builds no trace, while nobody subscribes', async () => {
      const { service, client } = kit()
      const app = service('echo')
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      await app.listen()
      for (const tracing of [diagnostics.handle, diagnostics.event, diagnostics.call, diagnostics.emit]) assert.equal(tracing.hasSubscribers, false)
      assert.equal((await client('caller').call(echo, { body: { caller: 'c', n: 1 } })).n, 1)
    })
  })
}
