import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultPolicy } from '../../../../src/core/policy.ts'
import { holdInflateLimit, inflateAllowance, inflateLimit, maxInflateRatio, spendInflated } from '../../../../src/transports/kafka/inflate-budget.ts'

/** Lets the microtask that starts a new turn's count run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

describe('inflate budget', () => {
  it('is the largest limit held by an open subscription, else the default maxBufferedBytes', () => {
    assert.equal(inflateLimit(), defaultPolicy.maxBufferedBytes)
    const small = holdInflateLimit(1_000_000)
    const large = holdInflateLimit(3_000_000)
    assert.equal(inflateLimit(), 3_000_000)
    large()
    assert.equal(inflateLimit(), 1_000_000)
    small()
    assert.equal(inflateLimit(), defaultPolicy.maxBufferedBytes)
  })

  it('allows each batch the limit until a turn has inflated a limit\'s worth, then 64 times its size; the next turn starts afresh', async () => {
    const release = holdInflateLimit(1_000_000)
    try {
      await nextTurn()
      assert.deepEqual(inflateAllowance(100), { bytes: 1_000_000, rule: 'limit', limit: 1_000_000 })
      spendInflated(600_000)
      assert.equal(inflateAllowance(100).bytes, 1_000_000)
      spendInflated(400_000)
      assert.deepEqual(inflateAllowance(100), { bytes: 100 * maxInflateRatio, rule: 'ratio', limit: 1_000_000 })
      // A batch whose 64-fold is beyond the limit is held to the limit still.
      assert.deepEqual(inflateAllowance(20_000), { bytes: 1_000_000, rule: 'limit', limit: 1_000_000 })
      await nextTurn()
      assert.equal(inflateAllowance(100).bytes, 1_000_000)
    } finally {
      release()
    }
  })
})
