// Streams: items in order and a clean end; an error after some items; leaving early closes the
// responder's generator.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { isKafkaIpcError, RemoteError } from '../../src/core/kafka-ipc-error.ts'
import type { Service } from '../../src/core/service.ts'
import { countdown } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

export function streamsSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  /** A countdown service whose generator records when its `finally` ran. */
  function countdownService(make: (name: string) => Service): { app: Service; closed: { count: number } } {
    const app = make('echo')
    const closed = { count: 0 }
    app.handle(countdown, async function* (req, ctx) {
      try {
        for (let n = req.body.from; n > 0; n--) {
          if (n === req.body.failAt) throw new Error(`failed at ${n}`)
          if (req.body.delayMs !== undefined) await sleep(req.body.delayMs, undefined, { signal: ctx.signal })
          yield { n }
        }
      } finally {
        closed.count++
      }
    })
    return { app, closed }
  }

  describe('streams', () => {
    it('yields every item in order, then ends', async () => {
      const { service, client } = kit()
      const { app, closed } = countdownService(service)
      await app.listen()
      const items: number[] = []
      for await (const item of client('caller').stream(countdown, { body: { from: 50 } })) items.push(item.n)
      assert.deepEqual(items, Array.from({ length: 50 }, (_, i) => 50 - i))
      await waitUntil(() => closed.count === 1, 'the generator finished')
    })

    it('delivers the items sent before an error, then the typed error', async () => {
      const { service, client } = kit()
      const { app } = countdownService(service)
      await app.listen()
      const items: number[] = []
      const error: unknown = await (async () => {
        for await (const item of client('caller').stream(countdown, { body: { from: 5, failAt: 2 } })) items.push(item.n)
      })().catch((e: unknown) => e)
      assert.deepEqual(items, [5, 4, 3])
      assert.ok(error instanceof RemoteError, String(error))
      assert.equal(error.code, 'KIPC_HANDLER_ERROR')
      assert.equal(error.message, 'failed at 2')
    })

    it('tells the responder when the caller breaks out early: its generator is closed and its finally runs', async () => {
      const { service, client } = kit()
      const { app, closed } = countdownService(service)
      await app.listen()
      const items: number[] = []
      for await (const item of client('caller').stream(countdown, { body: { from: 1_000, delayMs: 20 }, timeout: 60_000 })) {
        items.push(item.n)
        if (items.length === 3) break
      }
      assert.deepEqual(items, [1000, 999, 998])
      await waitUntil(() => closed.count === 1, "the responder's finally ran")
      await waitUntil(() => app.stats().cancelled === 1, 'the responder counted the cancel')
    })

    it('stops on an AbortSignal: the caller gets KIPC_CANCELLED and the responder closes its generator', async () => {
      const { service, client } = kit()
      const { app, closed } = countdownService(service)
      await app.listen()
      const controller = new AbortController()
      const items: number[] = []
      const error: unknown = await (async () => {
        for await (const item of client('caller').stream(countdown, { body: { from: 1_000, delayMs: 20 }, signal: controller.signal, timeout: 60_000 })) {
          items.push(item.n)
          if (items.length === 2) controller.abort()
        }
      })().catch((e: unknown) => e)
      assert.ok(isKafkaIpcError(error, 'KIPC_CANCELLED'), String(error))
      await waitUntil(() => closed.count === 1, "the responder's finally ran")
    })

    it('fails with KIPC_TIMEOUT when the stream outlives its deadline, and the responder stops', async () => {
      const { service, client } = kit()
      const { app, closed } = countdownService(service)
      await app.listen()
      let received = 0
      const error: unknown = await (async () => {
        for await (const item of client('caller').stream(countdown, { body: { from: 1_000, delayMs: 50 }, timeout: 600 })) received += item.n > 0 ? 1 : 0
      })().catch((e: unknown) => e)
      assert.ok(received > 0 && received < 1_000, `some items arrived before the deadline (${received})`)
      assert.ok(isKafkaIpcError(error, 'KIPC_TIMEOUT'), String(error))
      await waitUntil(() => closed.count === 1, "the responder's finally ran")
    })
  })
}
