import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonCodec } from '../../../../src/core/protocol/codec.ts'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { buildMessage, readEnvelope, wireHeader } from '../../../../src/core/protocol/envelope.ts'
import type { WireHeaders } from '../../../../src/core/protocol/headers.ts'
import { unpackedHeaders } from '../../../../src/core/protocol/packed-envelope.ts'

function headers(entries: Record<string, string>): WireHeaders {
  return new Map(Object.entries(entries))
}

describe('envelope: written and read', () => {
  it('round-trips every envelope field through buildMessage and readEnvelope', () => {
    const message = buildMessage({ topic: 't', key: 'k' }, 'item', { correlation: 'c1', replyTo: 'kipc.inbox.a.b:0', deadline: 1_700_000_000_000, method: 'POST', path: '/x', query: 'a=1&b=2', status: 201, service: 'svc', seq: 3, window: 64 }, { a: 1 }, jsonCodec, 1024, headers({ 'x-trace': 'abc' }), 'id-1')
    // Packed into one kipc header where it is built; a reader opens it.
    assert.equal(message.headers.get('kipc'), 'v=1;kind=item;id=id-1;correlation=c1;reply-to=kipc.inbox.a.b:0;deadline=1700000000000;method=POST;path=/x;query=a=1&b=2;status=201;service=svc;seq=3;window=64')
    const envelope = readEnvelope(unpackedHeaders(message.headers))
    // Read straight from the packed text, as a reader of the record gets it: the same envelope.
    assert.deepEqual(readEnvelope(message.headers), envelope)
    assert.deepEqual(Object.fromEntries(Object.entries(envelope)), { kind: 'item', id: 'id-1', correlation: 'c1', replyTo: 'kipc.inbox.a.b:0', deadline: 1_700_000_000_000, method: 'POST', path: '/x', query: 'a=1&b=2', status: 201, service: 'svc', seq: 3, stream: undefined, window: 64 })
    // The codec's own type goes unwritten: a reader restores it.
    assert.equal(message.headers.has('content-type'), false)
    assert.equal(message.headers.get('x-trace'), 'abc')
    assert.deepEqual(jsonCodec.decode(message.value), { a: 1 })
  })

  it('reads each record its own values, however alike the records before it were', () => {
    const paths = ['/a', '/b', '/a', '/ab', '/a', '/b%3Bc', '/b;c'.replace(';', '%3B'), '/a', '']
    for (const [index, path] of paths.entries()) {
      const service = index % 3 === 0 ? 'svc' : index % 3 === 1 ? 'svd' : 'svc2'
      const packed = `v=1;kind=${index % 2 === 0 ? 'request' : 'reply'};id=id-${String(index)};path=${path};service=${service};status=${String(200 + (index % 2))}`
      const envelope = readEnvelope(headers({ kipc: packed }))
      assert.equal(envelope.path, path.replace('%3B', ';'), packed)
      assert.equal(envelope.service, service, packed)
      assert.equal(envelope.kind, index % 2 === 0 ? 'request' : 'reply', packed)
      assert.equal(envelope.status, 200 + (index % 2), packed)
      assert.equal(envelope.id, `id-${String(index)}`, packed)
    }
    const long = `/${'p'.repeat(2_000)}`
    for (const path of [long, long, '/a', long]) assert.equal(readEnvelope(headers({ kipc: `v=1;kind=request;id=i;path=${path}` })).path, path)
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
      { ...base, 'kipc-window': '-5' },
      { ...base, 'kipc-deadline': '9'.repeat(40) },
      { 'kipc-kind': 'request', 'kipc-id': 'x' },
      { ...base, 'kipc-id': 'i'.repeat(129) },
      { ...base, 'kipc-deadline': '+5' },
      { ...base, 'kipc-deadline': ' 5' },
      { ...base, 'kipc-status': '' },
      { ...base, 'kipc-status': '2OO' },
    ]) {
      assert.throws(() => readEnvelope(headers(bad)), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'), JSON.stringify(bad))
      // The same fields packed into one kipc header, as they travel by default.
      const packed = Object.entries(bad).map(([name, value]) => `${name.slice('kipc-'.length)}=${value}`).join(';')
      assert.throws(() => readEnvelope(new Map([['kipc', packed]])), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'), packed)
    }
    // Up to 15 digits is a number; the largest is read exactly.
    assert.equal(readEnvelope(new Map([['kipc', 'v=1;kind=request;id=x;deadline=999999999999999;status=0']])).deadline, 999_999_999_999_999)
  })

  it('puts the envelope first and the application headers after it, never overriding the envelope', () => {
    const message = buildMessage({ topic: 't', key: 'k' }, 'request', { correlation: 'c', deadline: 5, method: 'POST', path: '/x', service: 'web' }, { a: 1 }, jsonCodec, 1_000, new Map([
      ['x-trace', '1'],
      [wireHeader.kind, 'reply'],
    ]), 'id-1')
    assert.deepEqual([...message.headers.keys()], ['kipc', 'x-trace'])
    const read = unpackedHeaders(message.headers)
    assert.equal(read.get(wireHeader.kind), 'request', 'an application header cannot change the kind')
    assert.equal(read.get('x-trace'), '1')
    assert.deepEqual([message.topic, message.key, read.get(wireHeader.id), read.get(wireHeader.deadline)], ['t', 'k', 'id-1', '5'])
  })

  it('refuses oversized bodies with KIPC_PAYLOAD_TOO_LARGE', () => {
    assert.throws(() => buildMessage({ topic: 't' }, 'reply', {}, 'x'.repeat(100), jsonCodec, 50), (error: unknown) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE'))
  })

  it('refuses a body over the limit with KIPC_PAYLOAD_TOO_LARGE, naming both sizes', () => {
    assert.throws(
      () => buildMessage({ topic: 't' }, 'event', {}, { text: 'x'.repeat(100) }, jsonCodec, 50),
      (error: unknown) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE') && /is 111 bytes; the policy allows 50/.test(error.message),
    )
  })
})
