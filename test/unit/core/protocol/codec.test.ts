import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonCodec } from '../../../../src/core/protocol/codec.ts'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'

describe('jsonCodec', () => {
  it('encodes undefined as an empty value and rejects invalid bytes with a protocol error', () => {
    assert.equal(jsonCodec.encode(undefined).byteLength, 0)
    assert.equal(jsonCodec.decode(new Uint8Array(0)), undefined)
    assert.throws(() => jsonCodec.decode(new Uint8Array([0xff, 0xfe])), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
    assert.throws(() => jsonCodec.decode(new TextEncoder().encode('{"a":')), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
  })

  it('round-trips JSON values, with undefined as the empty value', () => {
    for (const value of [{ price: 120, tags: ['a'] }, [1, 2], 'text', 0, null, true]) assert.deepEqual(jsonCodec.decode(jsonCodec.encode(value)), value)
    assert.equal(jsonCodec.encode(undefined).byteLength, 0)
    assert.equal(jsonCodec.decode(new Uint8Array(0)), undefined)
  })

  it('refuses invalid UTF-8 and invalid JSON with KIPC_PROTOCOL_ERROR', () => {
    for (const bytes of [new Uint8Array([0xff, 0xfe]), new TextEncoder().encode('{"a":')]) {
      assert.throws(() => jsonCodec.decode(bytes), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
    }
  })

  it('makes __proto__ an own property, never a prototype', () => {
    const decoded = jsonCodec.decode(new TextEncoder().encode('{"__proto__":{"polluted":1}}')) as Record<string, unknown>
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype)
    assert.ok(Object.hasOwn(decoded, '__proto__'))
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false)
  })
})
