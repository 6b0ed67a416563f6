import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RecentIds } from '../../../src/core/recent-ids.ts'

describe('RecentIds', () => {
  it('finds an id seen before in the same partition, not in another partition or topic', () => {
    const recent = new RecentIds(10)
    assert.equal(recent.isRepeat('t', 0, 'a'), false)
    assert.equal(recent.isRepeat('t', 0, 'a'), true)
    assert.equal(recent.isRepeat('t', 1, 'a'), false)
    assert.equal(recent.isRepeat('u', 0, 'a'), false)
  })

  it('forgets the oldest id once the window is full', () => {
    const recent = new RecentIds(3)
    for (const id of ['a', 'b', 'c', 'd']) assert.equal(recent.isRepeat('t', 0, id), false)
    assert.equal(recent.isRepeat('t', 0, 'a'), false, 'a was pushed out by d')
    assert.equal(recent.isRepeat('t', 0, 'c'), true)
    assert.equal(recent.isRepeat('t', 0, 'd'), true)
  })

  it('remembers nothing with a window of 0', () => {
    const recent = new RecentIds(0)
    assert.equal(recent.isRepeat('t', 0, 'a'), false)
    assert.equal(recent.isRepeat('t', 0, 'a'), false)
  })
})
