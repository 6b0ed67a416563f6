import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type ChannelHealth, summarizeHealth } from '../../../src/core/channel-health.ts'

const channel = (state: ChannelHealth['state']): ChannelHealth => ({ name: `c-${state}`, state, since: 0, lastError: undefined, recoveries: 0, lastRecoveryMs: undefined })

describe('summarizeHealth', () => {
  it('is ok only when every channel consumes; recovering when any recovers or closed on its own; starting with none yet', () => {
    assert.equal(summarizeHealth(false, [channel('consuming'), channel('consuming')]).status, 'ok')
    assert.equal(summarizeHealth(false, [channel('consuming'), channel('recovering')]).status, 'recovering')
    assert.equal(summarizeHealth(false, [channel('consuming'), channel('closed')]).status, 'recovering', 'a channel that closed while its owner is open is a failure')
    assert.equal(summarizeHealth(false, [channel('consuming'), channel('starting')]).status, 'starting')
    assert.equal(summarizeHealth(false, []).status, 'starting')
    assert.equal(summarizeHealth(true, [channel('consuming')]).status, 'closed')
  })
})
