import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { errorCatalogue } from '../../../src/core/error-catalogue.ts'
import { isKafkaIpcError, KafkaIpcError, RemoteError } from '../../../src/core/kafka-ipc-error.ts'

describe('KafkaIpcError', () => {
  it('takes status and retryable from the catalogue for its codes, and lets options override them', () => {
    const timeout = new KafkaIpcError('KIPC_TIMEOUT', 'late')
    assert.equal(timeout.status, errorCatalogue.KIPC_TIMEOUT.status)
    assert.equal(timeout.retryable, errorCatalogue.KIPC_TIMEOUT.retryable)
    const overridden = new KafkaIpcError('KIPC_TRANSPORT_ERROR', 'refused', { retryable: false, status: 502, details: { topic: 't' } })
    assert.deepEqual([overridden.status, overridden.retryable, overridden.details], [502, false, { topic: 't' }])
  })

  it('gives an application code 500 and not retryable unless told, and keeps the cause', () => {
    const cause = new Error('inner')
    const error = new KafkaIpcError('SEAT_TAKEN', 'Seat 12A is taken', { cause })
    assert.deepEqual([error.status, error.retryable, error.cause], [500, false, cause])
    assert.equal(new KafkaIpcError('SEAT_TAKEN', 'x', { status: 409 }).status, 409)
  })

  it('does not read catalogue entries through the prototype chain', () => {
    const error = new KafkaIpcError('toString', 'odd code')
    assert.deepEqual([error.status, error.retryable], [500, false])
  })

  it('isKafkaIpcError narrows by class and optionally by code; RemoteError is one', () => {
    const remote = new RemoteError('pricing', 'KIPC_NOT_FOUND', 'no route', { remoteStack: 'at handler' })
    assert.deepEqual([remote.service, remote.remoteStack, remote.status, remote.name], ['pricing', 'at handler', 404, 'RemoteError'])
    assert.ok(isKafkaIpcError(remote))
    assert.ok(isKafkaIpcError(remote, 'KIPC_NOT_FOUND'))
    assert.ok(!isKafkaIpcError(remote, 'KIPC_TIMEOUT'))
    assert.ok(!isKafkaIpcError(new Error('plain')))
    assert.ok(!isKafkaIpcError({ code: 'KIPC_TIMEOUT' }), 'a look-alike object is not one')

  })
})
