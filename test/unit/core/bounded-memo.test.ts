import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BoundedMemo } from '../../../src/core/bounded-memo.ts'

function counted<K, V>(make: (key: K) => V): { make: (key: K) => V; readonly calls: K[] } {
  const calls: K[] = []
  return {
    make: (key) => {
      calls.push(key)
      return make(key)
    },
    calls,
  }
}

test('a key is made once and its value kept', () => {
  const maker = counted((name: string) => name.toUpperCase())
  const memo = new BoundedMemo(maker.make, { limit: 10 })
  assert.equal(memo.get('a'), 'A')
  assert.equal(memo.get('a'), 'A')
  assert.equal(memo.get('b'), 'B')
  assert.deepEqual(maker.calls, ['a', 'b'])
  assert.equal(memo.size, 2)
})

test('past the limit, new keys are made each time and nothing more is kept', () => {
  const maker = counted((n: number) => ({ n }))
  const memo = new BoundedMemo(maker.make, { limit: 3 })
  for (let n = 0; n < 5; n++) memo.get(n)
  assert.equal(memo.size, 3)
  const first = memo.get(0)
  assert.equal(memo.get(0), first, 'a kept key gives the same value')
  assert.deepEqual(memo.get(4), { n: 4 })
  assert.notEqual(memo.get(4), memo.get(4), 'a key past the limit is made again')
  assert.deepEqual(maker.calls, [0, 1, 2, 3, 4, 4, 4, 4])
})

test('a key that keeps refuses is made each time and never kept', () => {
  const maker = counted((text: string) => text.length)
  const memo = new BoundedMemo(maker.make, { limit: 10, keeps: (text) => text.length <= 3 })
  assert.equal(memo.get('long text'), 9)
  assert.equal(memo.get('long text'), 9)
  assert.equal(memo.get('abc'), 3)
  assert.equal(memo.get('abc'), 3)
  assert.deepEqual(maker.calls, ['long text', 'long text', 'abc'])
  assert.equal(memo.size, 1)
})

test('a make that throws keeps nothing, so the key is checked again next time', () => {
  const maker = counted((text: string) => {
    if (text === 'bad') throw new Error('bad key')
    return text
  })
  const memo = new BoundedMemo(maker.make, { limit: 10 })
  assert.throws(() => memo.get('bad'), /bad key/)
  assert.throws(() => memo.get('bad'), /bad key/)
  assert.equal(memo.size, 0)
  assert.deepEqual(maker.calls, ['bad', 'bad'])
})
