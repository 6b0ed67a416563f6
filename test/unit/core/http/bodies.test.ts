// Bodies typed per message by content-type (src/core/protocol/bodies.ts, docs/protocol.md §1):
// the policy's codec when the type is absent or the codec's own, JSON for application/json and
// …+json, UTF-8 text for text/*, bytes as they are for anything else.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { bodyFormat, decodeBody, encodeBody, impliedContentType, mediaType } from '../../../../src/core/protocol/bodies.ts'
import { userHeaders } from '../../../../src/core/protocol/headers.ts'
import { toHeaderList } from '../../../../src/core/http/web-messages.ts'
import { type Codec, jsonCodec } from '../../../../src/core/protocol/codec.ts'
import { buildMessage, wireHeader } from '../../../../src/core/protocol/envelope.ts'

/** A codec of another type than JSON: a value is its text after `x:`. */
const prefixedCodec: Codec = {
  contentType: 'application/x-prefixed',
  encode: (value) => Buffer.from(`x:${String(value)}`),
  decode: (bytes) => Buffer.from(bytes).toString().slice(2),
}

const text = (value: Uint8Array): string => Buffer.from(value).toString('utf8')

describe('bodies: the format a content-type names', () => {
  it('reads the media type lowercase, without parameters or spaces', () => {
    assert.equal(mediaType('Text/Plain; charset=UTF-8'), 'text/plain')
    assert.equal(mediaType(' application/json '), 'application/json')
    assert.equal(mediaType('application/problem+json;charset=utf-8'), 'application/problem+json')
  })

  it('maps each kind of type to codec, json, text or bytes', () => {
    const cases: [string | undefined, ReturnType<typeof bodyFormat>][] = [
      [undefined, 'codec'],
      ['application/json', 'codec'],
      ['application/json; charset=utf-8', 'codec'],
      ['Application/JSON', 'codec'],
      ['application/problem+json', 'json'],
      ['application/vnd.shop.booking+json; version=2', 'json'],
      ['text/plain', 'text'],
      ['text/plain;charset=UTF-8', 'text'],
      ['text/event-stream', 'text'],
      ['TEXT/HTML', 'text'],
      ['application/octet-stream', 'bytes'],
      ['image/png', 'bytes'],
      ['application/xml', 'bytes'],
      ['application/x-ndjson', 'bytes'],
      ['image/svg+xml', 'bytes'],
      // Present but empty (a null header value reads as ''): not absent, so not the codec.
      ['', 'bytes'],
    ]
    for (const [contentType, format] of cases) assert.equal(bodyFormat(contentType, jsonCodec), format, String(contentType))
  })

  it("takes the policy codec's own type as the codec, and application/json as JSON beside another codec", () => {
    assert.equal(bodyFormat(undefined, prefixedCodec), 'codec')
    assert.equal(bodyFormat('application/x-prefixed', prefixedCodec), 'codec')
    assert.equal(bodyFormat('application/x-prefixed; v=1', prefixedCodec), 'codec')
    assert.equal(bodyFormat('application/json', prefixedCodec), 'json')
    assert.deepEqual(decodeBody(Buffer.from('{"a":1}'), 'application/json', prefixedCodec), { a: 1 })
    assert.equal(decodeBody(Buffer.from('x:abc'), undefined, prefixedCodec), 'abc')
  })
})

describe('bodies: encoding', () => {
  it('sends bytes as they are, as application/octet-stream unless a type is given', () => {
    const bytes = new Uint8Array([0, 1, 254, 255])
    const plain = encodeBody(bytes, undefined, jsonCodec)
    assert.equal(plain.value, bytes)
    assert.equal(plain.contentType, 'application/octet-stream')
    assert.deepEqual(encodeBody(bytes, 'image/png', jsonCodec), { value: bytes, contentType: 'image/png' })
    // Bytes are never re-encoded, whatever type they are given.
    assert.equal(encodeBody(bytes, 'application/json', jsonCodec).value, bytes)
    const buffer = Buffer.from('raw')
    assert.equal(encodeBody(buffer, undefined, jsonCodec).value, buffer)
    const arrayBuffer = new Uint8Array([7, 8, 9]).buffer
    const fromArrayBuffer = encodeBody(arrayBuffer, undefined, jsonCodec)
    assert.deepEqual([Array.from(fromArrayBuffer.value), fromArrayBuffer.contentType], [[7, 8, 9], 'application/octet-stream'])
  })

  it('sends a string as UTF-8 text when the given type is not JSON, and as JSON otherwise', () => {
    assert.deepEqual([text(encodeBody('hello', 'text/plain', jsonCodec).value), encodeBody('hello', 'text/plain', jsonCodec).contentType], ['hello', 'text/plain'])
    assert.equal(text(encodeBody('zażółć 🚀', 'text/plain; charset=utf-8', jsonCodec).value), 'zażółć 🚀')
    assert.equal(text(encodeBody('<svg/>', 'image/svg+xml', jsonCodec).value), '<svg/>')
    const untyped = encodeBody('hello', undefined, jsonCodec)
    assert.deepEqual([text(untyped.value), untyped.contentType], ['"hello"', 'application/json'])
    assert.equal(text(encodeBody('hello', 'application/json', jsonCodec).value), '"hello"')
    assert.equal(text(encodeBody('hello', 'application/problem+json', jsonCodec).value), '"hello"')
  })

  it('encodes anything else with the codec, or as JSON for a JSON type, keeping the given type', () => {
    const untyped = encodeBody({ price: 1 }, undefined, jsonCodec)
    assert.deepEqual([text(untyped.value), untyped.contentType], ['{"price":1}', 'application/json'])
    const problem = encodeBody({ title: 'gone' }, 'application/problem+json', jsonCodec)
    assert.deepEqual([text(problem.value), problem.contentType], ['{"title":"gone"}', 'application/problem+json'])
    assert.equal(text(encodeBody(null, undefined, jsonCodec).value), 'null')
    assert.equal(text(encodeBody({ a: 1 }, 'application/json', prefixedCodec).value), '{"a":1}')
    assert.deepEqual(encodeBody('abc', undefined, prefixedCodec), { value: Buffer.from('x:abc'), contentType: 'application/x-prefixed' })
  })

  it('sends no body (undefined) as a zero-length value, typed only when a type is given', () => {
    for (const contentType of [undefined, 'application/json', 'application/problem+json', 'text/plain', 'image/png']) {
      const encoded = encodeBody(undefined, contentType, jsonCodec)
      assert.equal(encoded.value.byteLength, 0, String(contentType))
      assert.equal(encoded.contentType, contentType, String(contentType))
    }
  })

  it('refuses a body that is neither a string nor bytes for a text or bytes type', () => {
    const cases: [unknown, string, string][] = [
      [{ a: 1 }, 'text/plain', 'object'],
      [null, 'text/plain', 'null'],
      [42, 'image/png', 'number'],
      [[1, 2], 'application/octet-stream', 'object'],
      [true, 'text/csv', 'boolean'],
    ]
    for (const [body, contentType, named] of cases) {
      assert.throws(
        () => encodeBody(body, contentType, jsonCodec),
        (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && error.message.includes(JSON.stringify(contentType)) && error.message.endsWith(`got ${named}.`),
        `${JSON.stringify(body)} as ${contentType}`,
      )
    }
  })

  it("lets an application content-type header choose the record's encoding, leaves the codec's own type on a body unwritten, writes it on a bodiless record that names it, and none on a record without a body", () => {
    const target = { topic: 'kipc.shop.requests' }
    const typed = buildMessage(target, 'request', {}, 'hello', jsonCodec, 1_000, new Map([['content-type', 'text/plain']]))
    assert.deepEqual([typed.headers.get(wireHeader.contentType), text(typed.value)], ['text/plain', 'hello'])
    assert.deepEqual([...typed.headers.keys()], ['kipc', 'content-type'])
    const untyped = buildMessage(target, 'request', {}, 'hello', jsonCodec, 1_000)
    assert.deepEqual([untyped.headers.has(wireHeader.contentType), text(untyped.value)], [false, '"hello"'])
    // The codec's type named by the application is the same as none: not written either.
    const named = buildMessage(target, 'request', {}, { a: 1 }, jsonCodec, 1_000, new Map([['content-type', 'application/json'], ['x-city', 'Kraków']]))
    assert.deepEqual([[...named.headers.keys()], text(named.value)], [['kipc', 'x-city'], '{"a":1}'])
    // A type that only resembles the codec's (a parameter added) is the application's: written.
    const withCharset = buildMessage(target, 'request', {}, { a: 1 }, jsonCodec, 1_000, new Map([['content-type', 'application/json; charset=utf-8']]))
    assert.equal(withCharset.headers.get(wireHeader.contentType), 'application/json; charset=utf-8')
    const bytes = buildMessage(target, 'reply', {}, new Uint8Array([1]), jsonCodec, 1_000)
    assert.equal(bytes.headers.get(wireHeader.contentType), 'application/octet-stream')
    const bodiless = buildMessage(target, 'end', {}, undefined, jsonCodec, 1_000)
    assert.deepEqual([bodiless.headers.has(wireHeader.contentType), bodiless.value.byteLength], [false, 0])
    const typedBodiless = buildMessage(target, 'reply', {}, undefined, jsonCodec, 1_000, new Map([['content-type', 'text/plain']]))
    assert.deepEqual([typedBodiless.headers.get(wireHeader.contentType), typedBodiless.value.byteLength], ['text/plain', 0])
    // HEAD's answer: no body, the type GET's would have had — the codec's included.
    const headAnswer = buildMessage(target, 'reply', {}, undefined, jsonCodec, 1_000, new Map([['content-type', 'application/json']]))
    assert.equal(headAnswer.headers.get(wireHeader.contentType), 'application/json')
    assert.throws(() => buildMessage(target, 'reply', {}, 'x'.repeat(11), jsonCodec, 10, new Map([['content-type', 'text/plain']])), (error: unknown) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE'))
  })
})

describe('bodies: decoding', () => {
  it('reads a zero-length value as no body in every format', () => {
    for (const contentType of [undefined, 'application/json', 'application/problem+json', 'text/plain', 'image/png']) {
      assert.equal(decodeBody(new Uint8Array(0), contentType, jsonCodec), undefined, String(contentType))
    }
  })

  it('reads text as a string — never as JSON — and bytes as the very same bytes', () => {
    assert.equal(decodeBody(Buffer.from('42'), 'text/plain', jsonCodec), '42')
    assert.equal(decodeBody(Buffer.from('not json'), 'text/plain; charset=utf-8', jsonCodec), 'not json')
    // Text is read leniently: a byte that is not UTF-8 becomes U+FFFD rather than an error.
    assert.equal(decodeBody(new Uint8Array([0x68, 0xff]), 'text/plain', jsonCodec), 'h\uFFFD')
    const bytes = new Uint8Array([0x7b, 0x7d])
    assert.equal(decodeBody(bytes, 'application/octet-stream', jsonCodec), bytes)
    assert.equal(decodeBody(bytes, '', jsonCodec), bytes)
    assert.deepEqual(decodeBody(bytes, undefined, jsonCodec), {})
  })

  it('fails a JSON body that does not parse with KIPC_PROTOCOL_ERROR', () => {
    for (const contentType of [undefined, 'application/json', 'application/problem+json']) {
      assert.throws(() => decodeBody(Buffer.from('{"a":'), contentType, jsonCodec), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'), String(contentType))
    }
    assert.throws(() => decodeBody(new Uint8Array([0x22, 0xff, 0x22]), 'application/json', jsonCodec), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
  })

  it('round-trips every kind of body through encode and decode', () => {
    const cases: [unknown, string | undefined][] = [
      [{ price: 120, legs: ['WAW', 'JFK'], meta: null }, undefined],
      [[1, 'two', { three: 3 }], 'application/json'],
      ['a JSON string', undefined],
      [null, undefined],
      [0, undefined],
      [false, 'application/json; charset=utf-8'],
      [{ type: 'about:blank', status: 404 }, 'application/problem+json'],
      ['zażółć gęślą jaźń 🚀\n', 'text/plain; charset=utf-8'],
      ['data: 1\n\n', 'text/event-stream'],
      [new Uint8Array([0, 1, 2, 253, 254, 255]), undefined],
      [new Uint8Array([137, 80, 78, 71]), 'image/png'],
      [undefined, undefined],
      [undefined, 'text/plain'],
    ]
    for (const [body, contentType] of cases) {
      const encoded = encodeBody(body, contentType, jsonCodec)
      const decoded = decodeBody(encoded.value, encoded.contentType, jsonCodec)
      if (body instanceof Uint8Array) {
        assert.ok(decoded instanceof Uint8Array, String(contentType))
        assert.deepEqual(Array.from(decoded), Array.from(body))
      } else {
        assert.deepEqual(decoded, body, `${JSON.stringify(body)} as ${String(contentType)}`)
      }
    }
    const fromArrayBuffer = encodeBody(new Uint8Array([5, 6]).buffer, undefined, jsonCodec)
    assert.deepEqual(decodeBody(fromArrayBuffer.value, fromArrayBuffer.contentType, jsonCodec), new Uint8Array([5, 6]))
  })
})

describe('bodies: the type a reader puts back', () => {
  it("tells a reader the codec's type for a body that came untyped, nothing for a typed record or one without a body", () => {
    assert.equal(impliedContentType(new Map([['x-city', 'Kraków']]), true, jsonCodec), 'application/json')
    assert.equal(impliedContentType(new Map([['content-type', 'text/plain']]), true, jsonCodec), undefined)
    assert.equal(impliedContentType(new Map(), false, jsonCodec), undefined)
    assert.equal(impliedContentType(new Map(), true, prefixedCodec), 'application/x-prefixed')
    // Where an application reads the headers, the type is there; the record's own map is not changed.
    const wire = new Map([['kipc', 'v=1;kind=event;id=a'], ['x-city', 'Kraków']])
    assert.deepEqual({ ...userHeaders(wire, impliedContentType(wire, true, jsonCodec)) }, { 'x-city': 'Kraków', 'content-type': 'application/json' })
    assert.deepEqual({ ...userHeaders(new Map([['content-type', 'text/plain']]), 'application/json') }, { 'content-type': 'text/plain' })
    assert.equal(wire.has('content-type'), false)
    assert.deepEqual(toHeaderList(wire, 'application/json'), [['x-city', 'Kraków'], ['content-type', 'application/json']])
  })

  it('round-trips every kind of body through buildMessage and a reader: the same type and value as before the header was left out', () => {
    const cases: [unknown, string | undefined][] = [[{ price: 1 }, undefined], [{ price: 1 }, 'application/json'], ['hi', 'text/plain'], [new Uint8Array([1, 2]), undefined], [{ title: 'gone' }, 'application/problem+json']]
    for (const [body, contentType] of cases) {
      const record = buildMessage({ topic: 't' }, 'reply', {}, body, jsonCodec, 1_000, contentType === undefined ? undefined : new Map([['content-type', contentType]]))
      const read = userHeaders(record.headers, impliedContentType(record.headers, record.value.byteLength > 0, jsonCodec))
      assert.equal(read['content-type'], encodeBody(body, contentType, jsonCodec).contentType, String(contentType))
      assert.deepEqual(decodeBody(record.value, record.headers.get('content-type'), jsonCodec), body)
    }
  })
})
