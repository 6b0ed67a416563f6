import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import { isNullRecord, nullRecord } from '../../../src/core/null-record.ts'

describe('nullRecord', () => {
  it('inherits nothing and takes hostile names as plain entries', () => {
    const record = nullRecord<string>()
    assert.ok(isNullRecord(record))
    assert.equal(isNullRecord({}), false)
    assert.equal(isNullRecord(Object.create(null)), false)
    for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) assert.equal(name in record, false, name)
    const inherited = Object.getPrototypeOf(record) as object
    assert.equal(Object.getPrototypeOf(inherited), null, 'what it inherits from inherits nothing either')
    assert.deepEqual(Object.getOwnPropertyNames(inherited), [], 'and has no name of its own')
    assert.ok(Object.isFrozen(inherited))
    assert.throws(() => {
      ;(inherited as Record<string, unknown>)['polluted'] = true
    }, TypeError)
    record['__proto__'] = 'a name'
    record['constructor'] = 'x'
    assert.ok(isNullRecord(record), 'assigning __proto__ set an entry, not the prototype')
    assert.deepEqual(Object.keys(record), ['__proto__', 'constructor'])
    assert.equal(({} as Record<string, unknown>)['a name'], undefined)
    assert.equal(nullRecord<string>()['__proto__'], undefined, 'another record has none of it')
  })

  it('shows in logs as Object.create(null) does, nested records included', () => {
    const record = nullRecord<unknown>()
    record['accept'] = 'json'
    record['__proto__'] = 'x'
    const nested = nullRecord<string>()
    nested['id'] = 'Q1'
    record['params'] = nested
    const plain = Object.assign(Object.create(null) as Record<string, unknown>, { accept: 'json' })
    plain['__proto__'] = 'x'
    plain['params'] = Object.assign(Object.create(null) as object, { id: 'Q1' })
    assert.equal(inspect(record), inspect(plain))
    assert.equal(inspect({ headers: record }, { depth: 0 }), inspect({ headers: plain }, { depth: 0 }))
    assert.equal(JSON.stringify(record), '{"accept":"json","__proto__":"x","params":{"id":"Q1"}}')
  })

  it('makes a fresh record each time', () => {
    const first = nullRecord<number>()
    first['a'] = 1
    assert.equal(nullRecord<number>()['a'], undefined)
  })
})
