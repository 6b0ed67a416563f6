import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ChannelHealth } from '../../../src/core/channel-health.ts'
import { summarizeHealth } from '../../../src/core/channel-health.ts'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { ChannelTracker } from '../../../src/transports/channel-tracker.ts'

describe('ChannelTracker', () => {
  it('reports each change of state once, however many failures a recovery sees', () => {
    const reported: ChannelHealth[] = []
    const tracker = new ChannelTracker('subscription g', (health) => reported.push(health))
    assert.equal(tracker.consuming(), undefined, 'the first start is not a recovery')
    const first = new KafkaIpcError('KIPC_TRANSPORT_ERROR', 'fetch failed')
    assert.equal(tracker.failed(first), true, 'the first failure starts a recovery')
    for (let retry = 0; retry < 40; retry++) assert.equal(tracker.failed(new KafkaIpcError('KIPC_TRANSPORT_ERROR', `retry ${retry}`)), false)
    assert.equal(tracker.health().lastError?.message, 'retry 39', 'the latest failure is kept')
    const took = tracker.consuming()
    assert.ok(took !== undefined && took >= 0)
    assert.deepEqual(
      reported.map((health) => health.state),
      ['consuming', 'recovering', 'consuming'],
    )
    assert.equal(reported[1]?.lastError, first)
    assert.equal(tracker.health().recoveries, 1)
    assert.equal(tracker.health().lastRecoveryMs, took)
  })

  it('ignores failures after close', () => {
    const reported: string[] = []
    const tracker = new ChannelTracker('inbox t', (health) => reported.push(health.state))
    tracker.consuming()
    tracker.closed()
    assert.equal(tracker.failed(new KafkaIpcError('KIPC_TRANSPORT_ERROR', 'late')), false)
    assert.equal(tracker.consuming(), undefined)
    assert.deepEqual(reported, ['consuming', 'closed'])
  })

  it('summarizes channels: the worst state wins', () => {
    const channel = (state: ChannelHealth['state']): ChannelHealth => ({ name: state, state, since: 0, lastError: undefined, recoveries: 0, lastRecoveryMs: undefined })
    assert.equal(summarizeHealth(false, [channel('consuming'), channel('consuming')]).status, 'ok')
    assert.equal(summarizeHealth(false, [channel('consuming'), channel('starting')]).status, 'starting')
    assert.equal(summarizeHealth(false, [channel('starting'), channel('recovering')]).status, 'recovering')
    assert.equal(summarizeHealth(false, []).status, 'starting')
    assert.equal(summarizeHealth(true, [channel('consuming')]).status, 'closed')
  })
})
