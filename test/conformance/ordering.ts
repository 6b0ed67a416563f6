// Per-key order end to end: handlers that take different lengths of time must still run the
// records of one key one at a time, in the order they were sent — while records of other keys run
// at the same time. A dispatcher that ignored keys, or one that ran everything one by one, fails.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { booked, echo } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

const keys = ['K1', 'K2', 'K3', 'K4'] as const
const perKey = 15

/** Records what ran: start and end per record, and how many ran at once at the most. */
class Ledger {
  readonly started: { key: string; seq: number }[] = []
  readonly overlaps: string[] = []
  maxConcurrent = 0
  readonly #running = new Set<string>()
  #concurrent = 0

  async run(key: string, seq: number): Promise<void> {
    if (this.#running.has(key)) this.overlaps.push(`${key} #${seq} started while another ${key} ran`)
    this.#running.add(key)
    this.started.push({ key, seq })
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.#concurrent)
    // Later records of a key are quicker, so a dispatcher that does not wait would reorder them.
    await sleep(Math.max(0, 30 - (seq % perKey) * 2))
    this.#concurrent--
    this.#running.delete(key)
  }

  assertOrdered(): void {
    assert.deepEqual(this.overlaps, [], 'no two records of one key ran at once')
    for (const key of keys) {
      const order = this.started.filter((entry) => entry.key === key).map((entry) => entry.seq)
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `${key} ran in the order sent`)
      assert.equal(order.length, perKey)
    }
    assert.ok(this.maxConcurrent > 1, `records of different keys ran at the same time (at most ${this.maxConcurrent})`)
  }
}

export function orderingSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('per-key order with slow and fast handlers', () => {
    it('events of one key run one at a time in order; other keys run alongside', async () => {
      const { service, client } = kit()
      const ledger = new Ledger()
      const app = service('ledger')
      app.on(booked, (event) => ledger.run(event.body.id, event.body.seq))
      await app.listen()
      const emitter = client('booking')
      const sends: Promise<void>[] = []
      for (let seq = 0; seq < perKey * keys.length; seq++) {
        const key = keys[seq % keys.length] ?? 'K1'
        sends.push(emitter.emit(booked, { id: key, seq }, { key }))
      }
      await Promise.all(sends)
      await waitUntil(() => ledger.started.length >= perKey * keys.length && app.stats().eventsHandled >= perKey * keys.length, 'every event was handled', 30_000)
      ledger.assertOrdered()
    })

    it('keyed requests of one key run one at a time in order; other keys run alongside', async () => {
      const { service, client } = kit()
      const ledger = new Ledger()
      const app = service('echo')
      app.handle(echo, async (request) => {
        await ledger.run(request.body.caller, request.body.n)
        return { ...request.body, responder: 'r' }
      })
      await app.listen()
      const caller = client('booking')
      await caller.ready()
      const calls: Promise<unknown>[] = []
      for (let n = 0; n < perKey * keys.length; n++) {
        const key = keys[n % keys.length] ?? 'K1'
        calls.push(caller.call(echo, { body: { caller: key, n }, key, timeout: 30_000 }))
      }
      await Promise.all(calls)
      ledger.assertOrdered()
    })
  })
}
