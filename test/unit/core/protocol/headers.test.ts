import assert from 'node:assert/strict'
import { isNullRecord } from '../../../../src/core/null-record.ts'
import { describe, it } from 'node:test'
import { checkOutgoingHeaders, userHeaders, type WireHeaders } from '../../../../src/core/protocol/headers.ts'

function headers(entries: Record<string, string>): WireHeaders {
  return new Map(Object.entries(entries))
}

describe('headers from untrusted input, and headers to send', () => {
  it('keeps __proto__ and constructor as plain data, never touching prototypes', () => {
    // As a transport decodes them: the names are data, including __proto__.
    const received = headers(JSON.parse('{"__proto__":"polluted","constructor":"x","kipc-v":"1","accept":"json"}') as Record<string, string>)
    const visible = userHeaders(received)
    assert.ok(isNullRecord(visible), 'a record that inherits nothing')
    assert.equal(visible['__proto__'], 'polluted')
    assert.equal(visible['accept'], 'json')
    assert.equal(visible['kipc-v'], undefined, 'envelope headers are not shown to handlers')
    assert.equal(userHeaders(headers({ 'kipc-future-field': 'x', 'x-a': 'b' }))['kipc-future-field'], undefined, 'unknown kipc-* headers are stripped too')
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined)
  })

  it('checks outgoing header names, reserved prefixes, counts and sizes', () => {
    assert.deepEqual(checkOutgoingHeaders({ 'X-Request-Id': 'r1' }), new Map([['x-request-id', 'r1']]))
    assert.throws(() => checkOutgoingHeaders({ 'kipc-id': 'forged' }), /reserved/)
    assert.throws(() => checkOutgoingHeaders({ kipc: 'v=1;kind=event' }), /reserved/, 'the packed envelope header is the envelope too')
    assert.deepEqual(checkOutgoingHeaders({ kipcx: 'ok', kipc_x: 'ok' }).size, 2, 'only kipc and kipc-* are reserved')
    assert.throws(() => checkOutgoingHeaders({ 'bad name': 'x' }), /not a valid token/)
    assert.throws(() => checkOutgoingHeaders({ big: 'x'.repeat(9000) }), /at most 8192/)
    assert.throws(() => checkOutgoingHeaders({ big: 'é'.repeat(4_097) }), /at most 8192/, 'the limit is in UTF-8 bytes, not characters')
    assert.equal(checkOutgoingHeaders({ fits: 'é'.repeat(4_096) }).size, 1)
    assert.throws(() => checkOutgoingHeaders({ ['n'.repeat(129)]: 'x' }), /not a valid token/)
    assert.equal(checkOutgoingHeaders({ ['n'.repeat(128)]: 'x' }).size, 1)
    assert.throws(() => checkOutgoingHeaders(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`h${i}`, 'v']))), /At most 64/)
  })

  it('checks a header seen before as strictly as a new one: its value every time, a bad name every time', () => {
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(checkOutgoingHeaders({ 'X-Tenant': `t${String(round)}` }), new Map([['x-tenant', `t${String(round)}`]]))
      assert.throws(() => checkOutgoingHeaders({ 'X-Tenant': 42 as unknown as string }), /must be a string/)
      assert.throws(() => checkOutgoingHeaders({ 'X-Tenant': '€'.repeat(2_731) }), /at most 8192/, 'three UTF-8 bytes a character: 8,193')
      assert.equal(checkOutgoingHeaders({ 'X-Tenant': '€'.repeat(2_730) }).size, 1)
      assert.throws(() => checkOutgoingHeaders({ 'KIPC-Id': 'forged' }), /reserved/)
      assert.throws(() => checkOutgoingHeaders({ 'bad name': 'x' }), /not a valid token/)
    }
    // Past the names it keeps, a name is still checked and lower-cased, each time.
    for (let index = 0; index < 1_500; index++) assert.deepEqual([...checkOutgoingHeaders({ [`X-H${String(index)}`]: 'v' }).keys()], [`x-h${String(index)}`])
    assert.throws(() => checkOutgoingHeaders({ 'kipc-x': 'forged' }), /reserved/)
  })
})
