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

describe('RecentIds against a plain model', () => {
  it('answers exactly as a list of the last N ids would, through many evictions', () => {
    for (const capacity of [1, 7, 64, 1_000]) {
      const recent = new RecentIds(capacity)
      const model: string[] = []
      let issued = 0
      let seed = capacity
      const random = (): number => {
        seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
        return seed / 2 ** 32
      }
      for (let step = 0; step < 20_000; step++) {
        // Half new ids, half ids from up to twice the window ago: some still inside it, some aged out.
        const id = random() < 0.5 || issued === 0 ? `id-${issued++}` : `id-${Math.max(0, issued - 1 - Math.floor(random() * capacity * 2))}`
        const expected = model.includes(id)
        assert.equal(recent.isRepeat('t', 0, id), expected, `capacity ${capacity}, step ${step}, ${id}`)
        if (!expected) {
          model.push(id)
          if (model.length > capacity) model.shift()
        }
      }
    }
  })
})
