import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CommitGate } from '../../../../src/transports/kafka/commit-gate.ts'

describe('CommitGate', () => {
  it('stays shut until the member completed a join, then opens for that generation', () => {
    let generation = 0
    const gate = new CommitGate(() => generation)
    assert.equal(gate.open, false, 'no commit before the first join')
    generation = 4
    gate.joined(4)
    assert.equal(gate.open, true)
  })

  it('shuts while a join has taken a new generation and not completed (the coordinator would refuse the commit)', () => {
    let generation = 4
    const gate = new CommitGate(() => generation)
    gate.joined(4)
    generation = 5
    assert.equal(gate.open, false)
    gate.joined(5)
    assert.equal(gate.open, true)
  })

  it('shuts from the news of a rebalance until the next completed join', () => {
    const gate = new CommitGate(() => 7)
    gate.joined(7)
    gate.rebalancing()
    assert.equal(gate.open, false)
    gate.joined(7)
    assert.equal(gate.open, true)
  })

  it('holds the next commit for a moment after a refused one, unless a join completes first', () => {
    const gate = new CommitGate(() => 2)
    gate.joined(2)
    gate.failed(Date.now())
    assert.equal(gate.open, false)
    gate.joined(2)
    assert.equal(gate.open, true, 'a completed join opens it at once')
    gate.failed(Date.now() - 1_001)
    assert.equal(gate.open, true, 'the hold lasts a second')
  })

  it('has no generation to compare under KIP-848: a completed join opens it', () => {
    const gate = new CommitGate(() => undefined)
    assert.equal(gate.open, false)
    gate.joined(undefined)
    assert.equal(gate.open, true)
  })
})
