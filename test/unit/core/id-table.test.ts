import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { IdTable } from '../../../src/core/id-table.ts'

/** A small deterministic generator, so a failing sequence of changes can be run again. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) & 0x7fffffff
    return state / 0x80000000
  }
}

describe('IdTable', () => {
  it('sets, gets, replaces and deletes values by id', () => {
    const table = new IdTable<number>()
    assert.equal(table.get('a'), undefined)
    assert.equal(table.has('a'), false)
    table.set('a', 1)
    table.set('b', 2)
    assert.equal(table.get('a'), 1)
    assert.equal(table.has('b'), true)
    assert.equal(table.size, 2)
    table.set('a', 3)
    assert.equal(table.get('a'), 3)
    assert.equal(table.size, 2)
    assert.equal(table.delete('a'), true)
    assert.equal(table.delete('a'), false)
    assert.equal(table.get('a'), undefined)
    assert.equal(table.get('b'), 2)
    assert.equal(table.size, 1)
  })

  it('tells apart ids that differ in one character and the empty id', () => {
    const table = new IdTable<string>()
    const ids = ['', 'a', 'b', 'ab', 'ba', '01J0000000000000000000000', '01J0000000000000000000001', 'é', '\u{1F600}']
    for (const id of ids) table.set(id, `value of ${id}`)
    for (const id of ids) assert.equal(table.get(id), `value of ${id}`)
    assert.equal(table.size, ids.length)
  })

  it('grows past its first slots and shrinks back as ids leave, losing none', () => {
    const table = new IdTable<number>()
    for (let index = 0; index < 10_000; index++) table.set(`id-${String(index)}`, index)
    assert.equal(table.size, 10_000)
    for (let index = 0; index < 10_000; index++) assert.equal(table.get(`id-${String(index)}`), index)
    for (let index = 0; index < 9_990; index++) assert.equal(table.delete(`id-${String(index)}`), true)
    assert.equal(table.size, 10)
    for (let index = 9_990; index < 10_000; index++) assert.equal(table.get(`id-${String(index)}`), index)
    assert.equal(table.get('id-5'), undefined)
  })

  it('agrees with a Map over 200,000 random changes, its probe runs wrapping and shifting back', () => {
    for (const seed of [1, 2, 3]) {
      const next = random(seed)
      const table = new IdTable<number>()
      const reference = new Map<string, number>()
      for (let step = 0; step < 200_000 / 3; step++) {
        // Few distinct ids, so the same ones come back, collide and leave again.
        const id = `call-${String(Math.floor(next() * 300))}`
        const roll = next()
        if (roll < 0.45) {
          table.set(id, step)
          reference.set(id, step)
        } else if (roll < 0.9) {
          assert.equal(table.delete(id), reference.delete(id), `delete ${id} at step ${String(step)} (seed ${String(seed)})`)
        } else {
          assert.equal(table.get(id), reference.get(id), `get ${id} at step ${String(step)} (seed ${String(seed)})`)
        }
        assert.equal(table.size, reference.size)
      }
      for (const [id, value] of reference) assert.equal(table.get(id), value)
      assert.deepEqual(table.values().sort((a, b) => a - b), [...reference.values()].sort((a, b) => a - b))
    }
  })

  it('lists its values oldest first as a copy, visits each once, and forgets everything when cleared', () => {
    const table = new IdTable<string>()
    for (let index = 0; index < 100; index++) table.set(`id-${String(index)}`, `value ${String(index)}`)
    for (let index = 0; index < 100; index += 3) table.delete(`id-${String(index)}`)
    table.set('id-1', 'replaced, not added again')
    const expected = Array.from({ length: 100 }, (_, index) => index).filter((index) => index % 3 !== 0).map((index) => (index === 1 ? 'replaced, not added again' : `value ${String(index)}`))
    assert.deepEqual(table.values(), expected)
    const visited: string[] = []
    table.forEach((value) => visited.push(value))
    assert.deepEqual(visited.sort(), [...expected].sort())
    table.clear()
    table.set('x', 'one')
    table.set('y', 'two')
    const values = table.values()
    table.delete('x')
    assert.deepEqual(values, ['one', 'two'])
    table.clear()
    assert.equal(table.size, 0)
    assert.equal(table.get('y'), undefined)
    table.set('y', 'three')
    assert.equal(table.get('y'), 'three')
  })
})
