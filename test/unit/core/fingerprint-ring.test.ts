import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FingerprintRing } from '../../../src/core/fingerprint-ring.ts'

describe('FingerprintRing', () => {
  it('finds what was added, forgets the oldest once full, and keeps the rest findable', () => {
    const ring = new FingerprintRing(3)
    assert.equal(ring.find('a'), -1)
    assert.equal(ring.add('a'), 0)
    assert.equal(ring.add('b'), 1)
    assert.equal(ring.add('c'), 2)
    assert.equal(ring.add('d'), 0, 'the oldest position is written again')
    assert.equal(ring.find('a'), -1, 'the oldest is forgotten')
    assert.deepEqual(['b', 'c', 'd'].map((text) => ring.find(text)), [1, 2, 0])
  })

  it('answers a second ask for a missing text as the first, until that text or another is added', () => {
    const ring = new FingerprintRing(2)
    ring.add('x')
    ring.add('y')
    // As a store asks: claimed (missing), then finished (asked again, then added).
    assert.equal(ring.find('run-1'), -1)
    assert.equal(ring.find('run-1'), -1)
    const at = ring.add('run-1')
    assert.equal(ring.find('run-1'), at, 'found once added')
    assert.equal(ring.find('x'), -1, 'and the oldest went for it')
    // Two runs interleaved, as with asynchronous handlers: each ask sees every add made since.
    assert.equal(ring.find('run-2'), -1)
    assert.equal(ring.find('run-3'), -1)
    ring.add('run-2')
    assert.equal(ring.find('run-3'), -1)
    ring.add('run-3')
    assert.notEqual(ring.find('run-2'), -1)
    assert.notEqual(ring.find('run-3'), -1)
    assert.equal(ring.find('run-1'), -1, 'pushed out by the two after it')
    // A text added right after it was found missing is found, however it was asked before.
    assert.equal(ring.find('run-4'), -1)
    ring.add('run-4')
    assert.notEqual(ring.find('run-4'), -1)
  })
})
