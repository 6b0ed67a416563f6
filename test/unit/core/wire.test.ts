import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonCodec } from '../../../src/core/codec.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { buildMessage, errorBody, remoteError } from '../../../src/core/messages.ts'
import { checkOutgoingHeaders, newMessageId, parseAddress, readEnvelope, userHeaders, type WireHeaders } from '../../../src/core/wire.ts'

function headers(entries: Record<string, string>): WireHeaders {
  return new Map(Object.entries(entries))
}

describe('wire envelope', () => {
  it('round-trips every envelope field through buildMessage and readEnvelope', () => {
    const message = buildMessage({ topic: 't', key: 'k' }, 'item', { correlation: 'c1', replyTo: 'kipc.inbox.a.b:0', deadline: 1_700_000_000_000, method: 'POST', path: '/x', status: 201, service: 'svc', seq: 3 }, { a: 1 }, jsonCodec, 1024, headers({ 'x-trace': 'abc' }), 'id-1')
    const envelope = readEnvelope(message.headers)
    assert.deepEqual(envelope, { kind: 'item', id: 'id-1', correlation: 'c1', replyTo: 'kipc.inbox.a.b:0', deadline: 1_700_000_000_000, method: 'POST', path: '/x', status: 201, service: 'svc', seq: 3 })
    assert.equal(message.headers.get('content-type'), 'application/json')
    assert.equal(message.headers.get('x-trace'), 'abc')
    assert.deepEqual(jsonCodec.decode(message.value), { a: 1 })
  })

  it('rejects unknown versions, unknown kinds, missing ids and malformed numbers as protocol errors', () => {
    const base = { 'kipc-v': '1', 'kipc-kind': 'request', 'kipc-id': 'x' }
    for (const bad of [
      { ...base, 'kipc-v': '2' },
      { ...base, 'kipc-kind': 'teleport' },
      { ...base, 'kipc-id': '' },
      { ...base, 'kipc-deadline': '12ab' },
      { ...base, 'kipc-status': '-1' },
      { ...base, 'kipc-seq': '1e9' },
      { ...base, 'kipc-deadline': '9'.repeat(40) },
      { 'kipc-kind': 'request', 'kipc-id': 'x' },
      { ...base, 'kipc-id': 'i'.repeat(129) },
      { ...base, 'kipc-deadline': '+5' },
      { ...base, 'kipc-deadline': ' 5' },
    ]) {
      assert.throws(() => readEnvelope(headers(bad)), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'), JSON.stringify(bad))
    }
  })

  it('draws distinct 22-character ids across refills of the entropy pool', () => {
    const ids = Array.from({ length: 1_000 }, () => newMessageId())
    assert.equal(new Set(ids).size, ids.length)
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/)
  })

  it('refuses oversized bodies with KIPC_PAYLOAD_TOO_LARGE', () => {
    assert.throws(() => buildMessage({ topic: 't' }, 'reply', {}, 'x'.repeat(100), jsonCodec, 50), (error: unknown) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE'))
  })
})

describe('headers from untrusted input', () => {
  it('keeps __proto__ and constructor as plain data, never touching prototypes', () => {
    // As a transport decodes them: the names are data, including __proto__.
    const received = headers(JSON.parse('{"__proto__":"polluted","constructor":"x","kipc-v":"1","accept":"json"}') as Record<string, string>)
    const visible = userHeaders(received)
    assert.equal(Object.getPrototypeOf(visible), null)
    assert.equal(visible['__proto__'], 'polluted')
    assert.equal(visible['accept'], 'json')
    assert.equal(visible['kipc-v'], undefined, 'envelope headers are not shown to handlers')
    assert.equal(userHeaders(headers({ 'kipc-future-field': 'x', 'x-a': 'b' }))['kipc-future-field'], undefined, 'unknown kipc-* headers are stripped too')
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined)
  })

  it('checks outgoing header names, reserved prefixes, counts and sizes', () => {
    assert.deepEqual(checkOutgoingHeaders({ 'X-Request-Id': 'r1' }), new Map([['x-request-id', 'r1']]))
    assert.throws(() => checkOutgoingHeaders({ 'kipc-id': 'forged' }), /reserved/)
    assert.throws(() => checkOutgoingHeaders({ 'bad name': 'x' }), /not a valid token/)
    assert.throws(() => checkOutgoingHeaders({ big: 'x'.repeat(9000) }), /at most 8192/)
    assert.throws(() => checkOutgoingHeaders({ big: 'é'.repeat(4_097) }), /at most 8192/, 'the limit is in UTF-8 bytes, not characters')
    assert.equal(checkOutgoingHeaders({ fits: 'é'.repeat(4_096) }).size, 1)
    assert.throws(() => checkOutgoingHeaders({ ['n'.repeat(129)]: 'x' }), /not a valid token/)
    assert.equal(checkOutgoingHeaders({ ['n'.repeat(128)]: 'x' }).size, 1)
    assert.throws(() => checkOutgoingHeaders(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`h${i}`, 'v']))), /At most 64/)
  })

  it('parses reply addresses strictly', () => {
    assert.deepEqual(parseAddress('kipc.inbox.svc.a1:0'), { topic: 'kipc.inbox.svc.a1', partition: 0 })
    for (const bad of ['no-partition', 'topic:-1', 'a b:0', 'topic:0:1', ':0', `${'t'.repeat(250)}:0`]) assert.equal(parseAddress(bad), undefined, bad)
  })
})

describe('error bodies', () => {
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
})

describe('json codec', () => {
  it('encodes undefined as an empty value and rejects invalid bytes with a protocol error', () => {
    assert.equal(jsonCodec.encode(undefined).byteLength, 0)
    assert.equal(jsonCodec.decode(new Uint8Array(0)), undefined)
    assert.throws(() => jsonCodec.decode(new Uint8Array([0xff, 0xfe])), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
    assert.throws(() => jsonCodec.decode(new TextEncoder().encode('{"a":')), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
  })
})
