// health(): every transport reports its channels the same way — starting before listen(), every
// channel consuming after it, closed after close(). The recovering state is proven on a real
// cluster by test/faults.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { booked, echo } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'

export function healthSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('health', () => {
    it('names each subscription and the inbox, consuming after listen() and closed after close()', async () => {
      const { service, client, policy } = kit()
      const app = service('echo')
      app.handle(echo, (req) => ({ ...req.body, responder: 'r' }))
      app.on(booked, () => undefined)
      assert.equal(app.health().status, 'starting')
      await app.listen()
      const report = app.health()
      assert.equal(report.status, 'ok')
      assert.deepEqual(
        report.channels.map((channel) => [channel.name, channel.state, channel.recoveries]),
        [
          [`subscription ${policy.prefix}.echo`, 'consuming', 0],
          [`subscription ${policy.prefix}.echo.events`, 'consuming', 0],
          [`inbox ${app.client.address?.split(':')[0] ?? ''}`, 'consuming', 0],
        ],
      )
      for (const channel of report.channels) {
        assert.equal(channel.lastError, undefined)
        assert.ok(channel.since <= Date.now())
      }
      const caller = client('web')
      assert.equal(caller.health().status, 'starting', 'a client opens its inbox with the first call')
      await caller.call(echo, { body: { caller: 'web', n: 1 } })
      assert.equal(caller.health().status, 'ok')
      await caller.close()
      assert.equal(caller.health().status, 'closed')
      await app.close()
      assert.equal(app.health().status, 'closed')
    })
  })
}
