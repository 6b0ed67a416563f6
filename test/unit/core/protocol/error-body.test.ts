import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KafkaIpcError, RemoteError } from '../../../../src/core/kafka-ipc-error.ts'
import { errorBody, remoteError } from '../../../../src/core/protocol/error-body.ts'

describe('error answers', () => {
  it('turns thrown errors into wire bodies and back into RemoteError, stacks only when exposed', () => {
    const plain = errorBody(new Error('boom'), false)
    assert.deepEqual(plain, { status: 500, body: { code: 'KIPC_HANDLER_ERROR', message: 'boom', retryable: false } })
    assert.match(errorBody(new Error('boom'), true).body.stack ?? '', /boom/)
    const rebuilt = remoteError('pricing', 409, { code: 'SEAT_TAKEN', message: 'taken', retryable: true })
    assert.equal(rebuilt.service, 'pricing')
    assert.equal(rebuilt.code, 'SEAT_TAKEN')
    assert.equal(rebuilt.status, 409)
    assert.equal(rebuilt.retryable, true)
  })

  it('survives hostile error bodies', () => {
    for (const body of [null, 42, 'text', [], { code: 7, message: { nested: true } }]) {
      const error = remoteError('svc', undefined, body)
      assert.equal(error.code, 'KIPC_HANDLER_ERROR')
      assert.equal(error.status, 500)
    }
    assert.equal(remoteError('svc', 500, { code: 'X'.repeat(500), message: 'm' }).code.length, 100)
  })

  it('sends a KafkaIpcError as it is, a plain error as KIPC_HANDLER_ERROR 500, and the stack only when exposed', () => {
    const coded = errorBody(new KafkaIpcError('SEAT_TAKEN', 'taken', { status: 409, retryable: true }), false)
    assert.deepEqual(coded, { status: 409, body: { code: 'SEAT_TAKEN', message: 'taken', retryable: true } })
    const plain = errorBody(new Error('boom'), true)
    assert.equal(plain.status, 500)
    assert.equal(plain.body.code, 'KIPC_HANDLER_ERROR')
    assert.match(plain.body.stack ?? '', /boom/)
    assert.deepEqual(errorBody('a string', false), { status: 500, body: { code: 'KIPC_HANDLER_ERROR', message: 'a string', retryable: false } })
  })

  it('reads a received error defensively: wrong types fall back, long fields are cut, nothing else is taken', () => {
    const fine = remoteError('pricing', 422, { code: 'NO_ROUTE', message: 'no flights', retryable: true, stack: 'at x' })
    assert.ok(fine instanceof RemoteError)
    assert.deepEqual([fine.code, fine.message, fine.status, fine.retryable, fine.remoteStack, fine.service], ['NO_ROUTE', 'no flights', 422, true, 'at x', 'pricing'])
    const hostile = remoteError('pricing', undefined, { code: 42, message: { toString: 'x' }, retryable: 'yes', __proto__: { polluted: true } })
    assert.deepEqual([hostile.code, hostile.message, hostile.status, hostile.retryable, hostile.remoteStack], ['KIPC_HANDLER_ERROR', 'The remote handler failed.', 500, false, undefined])
    assert.equal(remoteError('p', 500, { code: 'C'.repeat(500), message: 'm'.repeat(20_000) }).code.length, 100)
    assert.equal(remoteError('p', 500, { message: 'm'.repeat(20_000) }).message.length, 10_000)
    assert.equal(remoteError('p', 500, null).code, 'KIPC_HANDLER_ERROR')
  })
})
