import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MembershipWatch } from '../../../../src/transports/kafka/membership-watch.ts'

describe('MembershipWatch', () => {
  it('tells once when the consumer has been no member for the whole grace, and again only after it was one in between', () => {
    let member = true
    let told = 0
    const watch = new MembershipWatch(() => member, () => 1_000, () => told++)
    watch.check(0)
    member = false
    watch.check(100)
    watch.check(1_099)
    assert.equal(told, 0, 'not within the grace')
    watch.check(1_100)
    watch.check(5_000)
    assert.equal(told, 1, 'once per spell')
    member = true
    watch.check(5_100)
    member = false
    watch.check(5_200)
    watch.check(6_200)
    assert.equal(told, 2, 'a new spell is told again')
  })

  it('lets a member that is out for less than the grace — a rebalance — be', () => {
    let member = true
    let told = 0
    const watch = new MembershipWatch(() => member, () => 1_000, () => told++)
    for (let now = 0; now < 10_000; now += 100) {
      // Out for 900 ms of every 2 s.
      member = now % 2_000 >= 900
      watch.check(now)
    }
    assert.equal(told, 0)
  })
})
