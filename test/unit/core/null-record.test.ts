import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { nullRecord } from '../../../src/core/null-record.ts'

describe('nullRecord', () => {
  it('inherits nothing and takes hostile names as plain entries', () => {
    const record = nullRecord<string>()
    assert.equal(Object.getPrototypeOf(record), null)
    assert.equal('toString' in record, false)
    assert.equal('constructor' in record, false)
    record['__proto__'] = 'a name'
    record['constructor'] = 'x'
    assert.equal(Object.getPrototypeOf(record), null, 'assigning __proto__ set an entry, not the prototype')
    assert.deepEqual(Object.keys(record), ['__proto__', 'constructor'])
    assert.equal(({} as Record<string, unknown>)['a name'], undefined)
  })

  it('makes a fresh record each time', () => {
    const first = nullRecord<number>()
    first['a'] = 1
    assert.equal(nullRecord<number>()['a'], undefined)
  })
})
