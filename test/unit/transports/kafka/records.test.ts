// Header decoding of consumed Kafka records: untrusted names and values, bounded, lowercased,
// first of duplicates kept, into a Map (no object keys, so no prototype to reach).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonCodec } from '../../../../src/core/protocol/codec.ts'
import { buildMessage, readEnvelope } from '../../../../src/core/protocol/envelope.ts'
import { envelopeField, unpackedHeaders } from '../../../../src/core/protocol/packed-envelope.ts'
import { headerLimits, userHeaders } from '../../../../src/core/protocol/headers.ts'
import { EnvelopeOnlyHeaders } from '../../../../src/core/protocol/envelope-only-headers.ts'
import { inspect } from 'node:util'
import { decodeHeaders, encodeHeaders, producedHeaders, producerSerializers } from '../../../../src/transports/kafka/records.ts'

const entry = (name: string | null, value: string | null): [Buffer | null, Buffer | null] => [name === null ? null : Buffer.from(name), value === null ? null : Buffer.from(value)]

describe('decodeHeaders', () => {
  it('lowercases names, keeps the first of duplicates, reads a null value as empty and skips a null name', () => {
    const headers = decodeHeaders([entry('Kipc-V', '1'), entry('kipc-v', '2'), entry('x-empty', null), entry(null, 'orphan')])
    assert.deepEqual([...headers], [
      ['kipc-v', '1'],
      ['x-empty', ''],
    ])
  })

  it('reads the packed envelope header under any spelling of its name as kipc, the first one kept', () => {
    for (const name of ['kipc', 'KIPC', 'Kipc']) assert.deepEqual([...decodeHeaders([entry(name, 'v=1;kind=event;id=a')])], [['kipc', 'v=1;kind=event;id=a']])
    assert.deepEqual([...decodeHeaders([entry('KIPC', 'first'), entry('kipc', 'second'), entry('kipd', 'x')])], [['kipc', 'first'], ['kipd', 'x']])
  })

  it('treats prototype-looking names as plain entries and changes no prototype', () => {
    const headers = decodeHeaders([entry('__proto__', '{"polluted":1}'), entry('constructor', 'x'), entry('prototype', 'y')])
    assert.equal(headers.get('__proto__'), '{"polluted":1}')
    assert.equal(headers.get('constructor'), 'x')
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false)
    assert.equal(Object.getPrototypeOf(headers), Map.prototype)
  })

  it('skips oversized names and values and stops at the header count limit', () => {
    const long = 'n'.repeat(headerLimits.maxNameLength + 1)
    const big = 'v'.repeat(headerLimits.maxValueLength + 1)
    assert.deepEqual([...decodeHeaders([entry(long, 'x'), entry('big', big), entry('ok', 'y')])], [['ok', 'y']])
    const many = Array.from({ length: 200 }, (_, index) => entry(`h${index}`, 'x'))
    assert.equal(decodeHeaders(many).size, headerLimits.maxCount + headerLimits.envelopeAllowance)
  })

  it('hands a record whose one header is its packed envelope over as a read-only map of that entry, not a Map', () => {
    const packed = 'v=1;kind=request;id=Xq3vAbCdEfGhIjKlMnOpQr;method=POST;path=/quotes'
    const read = decodeHeaders([entry('kipc', packed)])
    assert.ok(read instanceof EnvelopeOnlyHeaders)
    assert.deepEqual([read.size, read.get('kipc'), read.get('x-city'), read.has('kipc'), read.has('kipc-id')], [1, packed, undefined, true, false])
    assert.deepEqual(new Map(read), new Map([['kipc', packed]]))
    assert.deepEqual([[...read.keys()], [...read.values()], [...read.entries()]], [['kipc'], [packed], [['kipc', packed]]])
    const seen: [string, string][] = []
    read.forEach((value, name, map) => {
      assert.equal(map, read)
      seen.push([name, value])
    })
    assert.deepEqual(seen, [['kipc', packed]])
    // Read as any received record: its envelope, its fields, no application header; logged as a Map.
    assert.deepEqual([readEnvelope(read).path, envelopeField(read, 'kipc-method'), Object.keys(userHeaders(read))], ['/quotes', 'POST', []])
    assert.equal(inspect(read), inspect(new Map([['kipc', packed]])))
    // Anything else is a Map, as before: another header beside it, or an envelope over its limit (dropped).
    assert.ok(decodeHeaders([entry('kipc', packed), entry('x-city', 'Kraków')]) instanceof Map)
    assert.ok(decodeHeaders([entry('x-city', 'Kraków')]) instanceof Map)
    assert.equal(decodeHeaders([entry('kipc', 'v'.repeat(headerLimits.envelopeAllowance * headerLimits.maxValueLength + 1))]).size, 0)
    assert.equal(decodeHeaders([entry('kipc', null)]).get('kipc'), '')
  })

  it('reads back what encodeHeaders wrote, including non-ASCII values', () => {
    const sent = new Map([
      ['kipc-v', '1'],
      ['x-city', 'Kraków'],
    ])
    assert.deepEqual([...unpackedHeaders(decodeHeaders(encodeHeaders(sent)))], [...sent])
  })

  it('writes the envelope packed into one kipc header first by default, or one header per field, and reads both back alike', () => {
    const sent = new Map([
      ['kipc-v', '1'],
      ['kipc-kind', 'request'],
      ['content-type', 'application/json'],
      ['kipc-path', '/quotes;v=2'],
      ['x-city', 'Kraków'],
    ])
    const packed = encodeHeaders(sent)
    assert.deepEqual(
      [...packed].map(([name, value]) => [name.toString(), value.toString()]),
      [
        ['kipc', 'v=1;kind=request;path=/quotes%3Bv=2'],
        ['content-type', 'application/json'],
        ['x-city', 'Kraków'],
      ],
    )
    const separate = encodeHeaders(sent, 'headers')
    assert.deepEqual([...separate].map(([name]) => name.toString()), ['kipc-v', 'kipc-kind', 'kipc-path', 'content-type', 'x-city'])
    const expected = new Map([['kipc-v', '1'], ['kipc-kind', 'request'], ['kipc-path', '/quotes;v=2'], ['content-type', 'application/json'], ['x-city', 'Kraków']])
    // Read back as they came: the packed envelope one entry, its fields opened by whoever reads them.
    assert.deepEqual([...decodeHeaders(packed).keys()], ['kipc', 'content-type', 'x-city'])
    assert.deepEqual(unpackedHeaders(decodeHeaders(packed)), expected)
    assert.deepEqual(new Map([...decodeHeaders(separate)].sort()), new Map([...expected].sort()))
    assert.deepEqual(new Map([...decodeHeaders(separate)].sort()), new Map([...unpackedHeaders(decodeHeaders(packed))].sort()))
  })

  it('sends the envelope a record was built with as it is, adds separate kipc-* entries after its fields, and opens it for the one-header-per-field form', () => {
    const built = buildMessage({ topic: 't' }, 'reply', { correlation: 'c1', status: 200 }, { a: 1 }, jsonCodec, 1_000, new Map([['x-city', 'Kraków']]), 'id-1')
    const packed = encodeHeaders(built.headers)
    assert.deepEqual([...packed].map(([name, value]) => [name.toString(), value.toString()]), [
      ['kipc', 'v=1;kind=reply;id=id-1;correlation=c1;status=200'],
      ['x-city', 'Kraków'],
    ])
    // A dead letter's or an older version's separate fields travel too; the packed ones win.
    const merged = encodeHeaders(new Map([...built.headers, ['kipc-status', '500'], ['kipc-dead-reason', 'handler']]))
    assert.equal(merged.values().next().value?.toString(), 'v=1;kind=reply;id=id-1;correlation=c1;status=200;status=500;dead-reason=handler')
    assert.deepEqual([envelopeField(decodeHeaders(merged), 'kipc-status'), envelopeField(decodeHeaders(merged), 'kipc-dead-reason'), readEnvelope(decodeHeaders(merged)).status], ['200', 'handler', 200])
    const separate = encodeHeaders(built.headers, 'headers')
    assert.deepEqual([...separate].map(([name]) => name.toString()), ['kipc-v', 'kipc-kind', 'kipc-id', 'kipc-correlation', 'kipc-status', 'x-city'])
    assert.deepEqual(decodeHeaders(separate), unpackedHeaders(decodeHeaders(packed)))
  })

  it('keeps a packed envelope as one entry that readers read defensively: first value wins, a packed field over a separate one, its value may exceed one header value', () => {
    const read = decodeHeaders([entry('kipc', 'v=1;kind=event;id=a;kind=request'), entry('kipc-kind', 'request'), entry('x-city', 'Kraków')])
    assert.deepEqual([...read.keys()], ['kipc', 'kipc-kind', 'x-city'])
    assert.equal(readEnvelope(read).kind, 'event', 'the first packed value, before a later one and before a separate header')
    assert.equal(envelopeField(read, 'kipc-kind'), 'event')
    // A field the packed envelope lacks is read from a separate header (an older writer's, a dead letter's).
    assert.equal(readEnvelope(decodeHeaders([entry('kipc', 'v=1;kind=reply;id=a'), entry('kipc-status', '404')])).status, 404)
    // A bad escape is skipped: the next value of the field, if any, is taken.
    assert.equal(readEnvelope(decodeHeaders([entry('kipc', 'v=1;kind=request;id=a;path=/a%zz;path=/b')])).path, '/b')
    // A long path is one field of many: the packed value is allowed past one header value's limit.
    const path = `/${'p'.repeat(headerLimits.maxValueLength - 10)}`
    assert.equal(readEnvelope(decodeHeaders([entry('kipc', `v=1;kind=request;id=a;path=${path};query=${'q'.repeat(100)}`)])).path, path)
    const beyond = 'x'.repeat(headerLimits.envelopeAllowance * headerLimits.maxValueLength + 1)
    assert.equal(decodeHeaders([entry('kipc', `v=1;path=/${beyond}`)]).size, 0)
    // However many fields it holds, it is one header: the application's headers still fit beside it.
    const many = Array.from({ length: 200 }, (_, index) => `f-${String.fromCharCode(97 + (index % 26))}${'a'.repeat(Math.floor(index / 26))}=x`).join(';')
    const crowded = decodeHeaders([entry('kipc', many), ...Array.from({ length: 100 }, (_, index) => entry(`h${index}`, 'x'))])
    assert.equal(crowded.size, headerLimits.maxCount + headerLimits.envelopeAllowance)
    assert.equal(crowded.has('kipc'), true)
  })
})

describe('producedHeaders', () => {
  /** The bytes the producer writes for a header map, through the serializers it is given. */
  const serialized = (headers: ReadonlyMap<string | Buffer, string | Buffer>): [string, string][] => [...headers].map(([name, value]) => [String(producerSerializers.headerKey(name)), String(producerSerializers.headerValue(value))])

  it('hands a record as buildMessage built it to the producer as it is, and the serializers write what encodeHeaders would', () => {
    const built = buildMessage({ topic: 't' }, 'request', { path: '/quotes;v=2', method: 'POST', service: 'web' }, 'hi', jsonCodec, 1_000, new Map([['content-type', 'text/plain'], ['x-city', 'Kraków']]), 'id-1')
    const produced = producedHeaders(built.headers, 'packed')
    assert.equal(produced, built.headers, 'no map of its own per record')
    assert.deepEqual(serialized(produced), serialized(encodeHeaders(built.headers)))
    assert.deepEqual(serialized(produced)[0], ['kipc', 'v=1;kind=request;id=id-1;method=POST;path=/quotes%3Bv=2;service=web'])
  })

  it('encodes any other record: separate kipc-* entries (a dead letter), an envelope not first, and the one-header-per-field form', () => {
    const built = buildMessage({ topic: 't' }, 'reply', { correlation: 'c1', status: 200 }, { a: 1 }, jsonCodec, 1_000, undefined, 'id-1')
    const letter = new Map([...built.headers, ['kipc-dead-reason', 'failed']])
    assert.notEqual(producedHeaders(letter, 'packed'), letter)
    assert.deepEqual(serialized(producedHeaders(letter, 'packed')), [['kipc', 'v=1;kind=reply;id=id-1;correlation=c1;status=200;dead-reason=failed']])
    const reordered = new Map([['x-city', 'Kraków'], ...built.headers])
    assert.deepEqual(serialized(producedHeaders(reordered, 'packed')).map(([name]) => name), ['kipc', 'x-city'])
    assert.deepEqual(serialized(producedHeaders(built.headers, 'headers')).map(([name]) => name), ['kipc-v', 'kipc-kind', 'kipc-id', 'kipc-correlation', 'kipc-status'])
  })
})
