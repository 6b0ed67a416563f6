import assert from 'node:assert/strict'
import { isNullRecord } from '../../../src/core/null-record.ts'
import { describe, it } from 'node:test'
import { fillPath, route } from '../../../src/core/contracts.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { Router } from '../../../src/core/router.ts'

describe('router', () => {
  it('matches methods and paths, extracts decoded parameters, prefers literal segments', () => {
    const router = new Router<string>()
    router.add('GET', '/bookings/:id', 'by-id')
    router.add('GET', '/bookings/latest', 'latest')
    router.add('POST', '/bookings', 'create')
    assert.equal(router.match('GET', '/bookings/latest')?.value, 'latest')
    assert.deepEqual({ ...router.match('GET', '/bookings/B%2042')?.params }, { id: 'B 42' })
    assert.equal(router.match('POST', '/bookings')?.value, 'create')
    assert.equal(router.match('DELETE', '/bookings'), undefined)
    assert.equal(router.match('GET', '/bookings/a/b'), undefined)
    assert.equal(router.match('GET', '/bookings/%E0%A4%A'), undefined, 'malformed escapes do not match')
    assert.ok(router.has('GET', '/bookings/:id'))
    assert.equal(router.match('POST', '/bookings/')?.value, 'create', 'empty segments are ignored')
    assert.equal(router.match('POST', '//bookings')?.value, 'create')
    assert.equal(router.match('post', '/bookings'), undefined, 'the method is compared exactly')
    assert.equal(router.match('', '/bookings'), undefined)
    assert.equal(router.match('POST', ''), undefined)
  })

  it('finds a literal route by its path as written and by any other spelling alike, with fresh parameters each time', () => {
    const router = new Router<string>()
    router.add('GET', '/', 'root')
    router.add('POST', '/bookings', 'first')
    router.add('POST', 'bookings/', 'second')
    for (const path of ['/bookings', 'bookings', '/bookings/']) assert.equal(router.match('POST', path)?.value, 'first', `the first of two routes with one pattern, for ${path}`)
    assert.equal(router.match('GET', '/')?.value, 'root')
    const one = router.match('POST', '/bookings')?.params
    const two = router.match('POST', '/bookings')?.params
    assert.ok(one !== undefined && two !== undefined)
    assert.notEqual(one, two, 'each request gets its own parameters')
    assert.ok(isNullRecord(one), 'a record that inherits nothing')
    assert.deepEqual(Object.keys(one), [])
  })

  it('fills path parameters for callers and insists on each', () => {
    assert.equal(fillPath('/bookings/:id/seats/:seat', { id: 'B/1', seat: '12A' }), '/bookings/B%2F1/seats/12A')
    assert.throws(() => fillPath('/bookings/:id', {}), /needs the parameter "id"/)
    // A parameter is the whole segment, as the router and the PathParams type read it.
    assert.equal(fillPath('/b/:booking-id', { 'booking-id': 'X1' }), '/b/X1')
    const router = new Router<string>()
    router.add('GET', '/b/:booking-id', 'booking')
    assert.deepEqual({ ...router.match('GET', '/b/X1')?.params }, { 'booking-id': 'X1' })
  })

  it('rejects malformed route specs and names when a contract is declared', () => {
    assert.throws(() => route('pricing', 'FETCH /x' as 'GET /x'), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
    assert.throws(() => route('pricing', 'GET x' as 'GET /x'), /must look like/)
    assert.throws(() => route('bad name!', 'GET /x'), /Service name/)
    // Service names never collide with other kinds of topics or groups.
    for (const name of ['event', 'gather', 'inbox', 'billing.api']) assert.throws(() => route(name, 'GET /x'), /no dots/, name)
  })
})
