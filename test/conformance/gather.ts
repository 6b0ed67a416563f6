// Gather: one request, answers from several services, collected until a count or the deadline.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Service } from '../../src/core/service.ts'
import { seatHold } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'

export function gatherSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('gather', () => {
    async function carriers(make: (name: string) => Service, names: readonly string[]): Promise<void> {
      const apps = names.map((carrier, index) => {
        const app = make(carrier)
        app.handle(seatHold, (req) => {
          if (req.body.flight === 'broken' && carrier === 'carrier-c') throw new Error('no inventory')
          return { carrier, seats: index + 1 }
        })
        return app
      })
      await Promise.all(apps.map((app) => app.listen()))
    }

    it('collects one answer from each of 3 services and stops as soon as the expected count is in', async () => {
      const { service, client } = kit()
      await carriers(service, ['carrier-a', 'carrier-b', 'carrier-c'])
      const started = Date.now()
      const result = await client('booking').gather(seatHold, { body: { flight: 'LO26' }, expect: 3, timeout: 8_000 })
      assert.ok(Date.now() - started < 7_000, 'did not wait for the deadline')
      assert.equal(result.partial, false)
      assert.deepEqual(result.answers.map((answer) => answer.service).sort(), ['carrier-a', 'carrier-b', 'carrier-c'])
      for (const answer of result.answers) {
        assert.ok(answer.ok)
        assert.equal(answer.reply.carrier, answer.service)
      }
    })

    it('reports a partial result and who is missing when the deadline comes first', async () => {
      const { service, client } = kit()
      await carriers(service, ['carrier-a', 'carrier-b'])
      // 6 s: two answers must make their round trip before it, even on a loaded 2-core machine.
      const result = await client('booking').gather(seatHold, { body: { flight: 'LO26' }, expect: ['carrier-a', 'carrier-b', 'carrier-z'], timeout: 6_000 })
      assert.equal(result.partial, true)
      assert.deepEqual(result.missing, ['carrier-z'])
      assert.equal(result.answers.length, 2)
    })

    it('keeps a failing responder as a typed error among the answers', async () => {
      const { service, client } = kit()
      await carriers(service, ['carrier-a', 'carrier-b', 'carrier-c'])
      const result = await client('booking').gather(seatHold, { body: { flight: 'broken' }, expect: 3, timeout: 8_000 })
      const failed = result.answers.find((answer) => answer.service === 'carrier-c')
      assert.ok(failed !== undefined && !failed.ok)
      assert.equal(failed.error.message, 'no inventory')
      assert.equal(failed.error.status, 500)
      assert.equal(result.answers.filter((answer) => answer.ok).length, 2)
    })
  })
}
