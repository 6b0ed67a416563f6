// Gather: one request, answers from several services, collected until a count or the deadline.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Service } from '../../src/core/service.ts'
import { seatHold } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitForSettledGroup } from './request-reply.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'

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

    it('two instances of one service give one answer; expecting names ends as soon as they all answered', async () => {
      const { service, client, policy } = kit()
      const instances = ['i1', 'i2'].map((instanceId) => {
        const app = service('carrier-a', { instanceId })
        app.handle(seatHold, () => ({ carrier: 'carrier-a', seats: 1 }))
        return app
      })
      const other = service('carrier-b')
      other.handle(seatHold, () => ({ carrier: 'carrier-b', seats: 2 }))
      await Promise.all([...instances, other].map((app) => app.listen()))
      await waitForSettledGroup(instances, topicNames.gather(policy, seatHold.name), policy.partitions)
      const started = Date.now()
      const result = await client('booking').gather(seatHold, { body: { flight: 'LO26' }, expect: ['carrier-a', 'carrier-b'], timeout: 20_000 })
      assert.ok(Date.now() - started < 15_000, 'ended when both named services had answered, not at the deadline')
      assert.deepEqual(result.answers.map((answer) => answer.service).sort(), ['carrier-a', 'carrier-b'])
      assert.equal(result.partial, false)
      // Counted once the answer is acknowledged, which may come after the gather has it: close() waits for that.
      await Promise.all(instances.map((app) => app.close()))
      assert.equal(instances.reduce((sum, app) => sum + app.stats().handled, 0), 1, 'one instance of carrier-a handled it')
    })

    it('with nobody answering, resolves at the deadline with no answers and, when answers were expected, partial', async () => {
      const { client } = kit()
      const booking = client('booking')
      const counted = await booking.gather(seatHold, { body: { flight: 'LO26' }, expect: 2, timeout: 800 })
      assert.deepEqual([counted.answers, counted.partial, counted.missing], [[], true, []])
      const open = await booking.gather(seatHold, { body: { flight: 'LO26' }, timeout: 800 })
      assert.deepEqual([open.answers, open.partial], [[], false])
    })
  })
}
