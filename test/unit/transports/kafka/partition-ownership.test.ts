import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type AssignedPartitions, PartitionOwnership } from '../../../../src/transports/kafka/partition-ownership.ts'

/** A stand-in for the consumer: the library replaces its assignments array on each rebalance. */
function consumer(initial: readonly AssignedPartitions[] | undefined): { assignments: readonly AssignedPartitions[] | undefined; ownership: PartitionOwnership } {
  const state: { assignments: readonly AssignedPartitions[] | undefined; ownership: PartitionOwnership } = {
    assignments: initial,
    ownership: new PartitionOwnership(() => state.assignments),
  }
  return state
}

describe('PartitionOwnership', () => {
  it('admits each record of a held partition once, in offset order', () => {
    const { ownership } = consumer([{ topic: 't', partitions: [0, 1] }])
    assert.equal(ownership.admit('t', 0, 0n), true)
    assert.equal(ownership.admit('t', 0, 1n), true)
    assert.equal(ownership.admit('t', 1, 0n), true, 'marks are per partition')
    // A recovery re-reads from the last commit: what was handed over already is refused.
    assert.equal(ownership.admit('t', 0, 0n), false)
    assert.equal(ownership.admit('t', 0, 1n), false)
    assert.equal(ownership.admit('t', 0, 2n), true)
  })

  it('refuses records of partitions it does not hold, and everything while it has no assignment', () => {
    const state = consumer([{ topic: 't', partitions: [0] }])
    assert.equal(state.ownership.admit('t', 1, 0n), false, 'another partition')
    assert.equal(state.ownership.admit('u', 0, 0n), false, 'another topic')
    state.assignments = undefined
    assert.equal(state.ownership.owns('t', 0), false, 'a consumer joining during a recovery holds nothing yet')
    assert.equal(state.ownership.admit('t', 0, 5n), false)
  })

  it('keeps the marks across a recovery that hands back the same partitions', () => {
    const state = consumer([{ topic: 't', partitions: [0] }])
    for (let offset = 0n; offset <= 9n; offset++) assert.equal(state.ownership.admit('t', 0, offset), true)
    // The new consumer has no assignment while it joins, then the same partition again.
    state.assignments = undefined
    assert.equal(state.ownership.admit('t', 0, 3n), false)
    state.assignments = [{ topic: 't', partitions: [0] }]
    for (let offset = 4n; offset <= 9n; offset++) assert.equal(state.ownership.admit('t', 0, offset), false, `offset ${offset} ran already`)
    assert.equal(state.ownership.admit('t', 0, 10n), true)
  })

  it('forgets the marks of a partition lost in a rebalance, so winning it back starts from the commit', () => {
    const state = consumer([{ topic: 't', partitions: [0, 1] }])
    state.ownership.admit('t', 0, 7n)
    state.ownership.admit('t', 1, 7n)
    state.assignments = [{ topic: 't', partitions: [1] }]
    assert.equal(state.ownership.admit('t', 0, 8n), false, 'a fetch in flight for a lost partition is refused')
    // Partition 0 comes back: another member moved its commit, and may have left it at 3.
    state.assignments = [{ topic: 't', partitions: [0, 1] }]
    assert.equal(state.ownership.admit('t', 0, 3n), true, 'the lost partition starts afresh')
    assert.equal(state.ownership.admit('t', 1, 7n), false, 'the kept partition keeps its mark')
  })

  it('rebuilds its lookup only when the assignments array is replaced', () => {
    const partitions = [0]
    const state = consumer([{ topic: 't', partitions }])
    assert.equal(state.ownership.owns('t', 0), true)
    // The same array mutated in place is not a rebalance: the lookup built from it stands.
    partitions.push(1)
    assert.equal(state.ownership.owns('t', 1), false)
    state.assignments = [{ topic: 't', partitions: [0, 1] }]
    assert.equal(state.ownership.owns('t', 1), true)
  })
})
