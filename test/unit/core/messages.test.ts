// Building outgoing records and reading error answers, which come from untrusted peers.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonCodec } from '../../../src/core/codec.ts'
import { isKafkaIpcError, KafkaIpcError, RemoteError } from '../../../src/core/kafka-ipc-error.ts'
import { buildMessage, errorBody, remoteError } from '../../../src/core/messages.ts'
import { wireHeader } from '../../../src/core/wire.ts'

describe('buildMessage', () => {
  it('puts the envelope first and the application headers after it, never overriding the envelope', () => {
    const message = buildMessage({ topic: 't', key: 'k' }, 'request', { correlation: 'c', deadline: 5, method: 'POST', path: '/x', service: 'web' }, { a: 1 }, jsonCodec, 1_000, new Map([
      ['x-trace', '1'],
      [wireHeader.kind, 'reply'],
    ]), 'id-1')
    const names = [...message.headers.keys()]
    assert.deepEqual(names.slice(0, 4), [wireHeader.version, wireHeader.kind, wireHeader.id, wireHeader.contentType])
    assert.equal(message.headers.get(wireHeader.kind), 'request', 'an application header cannot change the kind')
    assert.equal(message.headers.get('x-trace'), '1')
    assert.deepEqual([message.topic, message.key, message.headers.get(wireHeader.id), message.headers.get(wireHeader.deadline)], ['t', 'k', 'id-1', '5'])
  })

  it('refuses a body over the limit with KIPC_PAYLOAD_TOO_LARGE, naming both sizes', () => {
    assert.throws(
      () => buildMessage({ topic: 't' }, 'event', {}, { text: 'x'.repeat(100) }, jsonCodec, 50),
      (error: unknown) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE') && /is 111 bytes; the policy allows 50/.test(error.message),
    )
  })
})

describe('error answers', () => {
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
