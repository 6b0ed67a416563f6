import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { BusyTicker } from '../../../src/core/busy-ticker.ts'

describe('BusyTicker', () => {
  it('ticks while its round says something is left, stops at the first idle round, and starts again on demand', async () => {
    let left = 3
    let rounds = 0
    const ticker = new BusyTicker(5, () => {
      rounds++
      left = Math.max(0, left - 1)
      return left > 0
    })
    ticker.start()
    ticker.start()
    // Waited for, then watched for a while: a loaded machine may be slow to tick, never too quick.
    await roundsReach(() => rounds, 3)
    await sleep(40)
    assert.equal(rounds, 3, 'two busy rounds, then the idle one that stops it; one timer despite two starts')
    left = 1
    ticker.start()
    await roundsReach(() => rounds, 4)
    await sleep(40)
    assert.equal(rounds, 4)
  })
})

/** Resolves once `count()` reaches `target`, or after two seconds. */
async function roundsReach(count: () => number, target: number): Promise<void> {
  for (const started = Date.now(); count() < target && Date.now() - started < 2_000; ) await sleep(5)
}
