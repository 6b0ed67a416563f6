import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { backoff } from '../../../src/core/backoff.ts'

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now()
  await run()
  return performance.now() - started
}

describe('backoff', () => {
  it('waits between half and all of base·2^attempt, capped at max', async () => {
    // Lower bounds are exact (a timer never fires early); upper bounds are loose for a busy machine.
    for (const [attempt, low, high] of [
      [0, 10, 2_000],
      [2, 40, 2_000],
      [10, 50, 2_000],
    ] as const) {
      const waited = await timed(() => backoff(attempt, undefined, 20, 100))
      assert.ok(waited >= low - 2 && waited < high, `attempt ${attempt}: ${waited.toFixed(0)} ms`)
    }
  })

  it('spreads the waits (jitter), so instances that failed together do not return together', async () => {
    const waits = await Promise.all(Array.from({ length: 12 }, () => timed(() => backoff(5, undefined, 100, 200))))
    assert.ok(Math.max(...waits) - Math.min(...waits) > 10, `waits differ: ${waits.map((wait) => wait.toFixed(0)).join(', ')}`)
  })

  it('returns at once, without throwing, when its signal aborts', async () => {
    const controller = new AbortController()
    const waiting = timed(() => backoff(20, controller.signal, 1_000, 60_000))
    controller.abort()
    assert.ok((await waiting) < 1_000)
  })
})
