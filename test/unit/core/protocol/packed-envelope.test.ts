// The packed envelope (docs/protocol.md §2): every kipc-* field in one `kipc` header value,
// escaped so that no value ends its pair early, read back defensively from untrusted text.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { envelopeField, envelopeFieldNames, packedText, packFields, readPackedFields, unpackedHeaders, unpackEnvelope } from '../../../../src/core/protocol/packed-envelope.ts'

function roundTrip(headers: Map<string, string>): { packed: string; back: Map<string, string> } {
  const packed = packedText(headers) ?? ''
  const back = new Map<string, string>()
  unpackEnvelope(packed, back, 80)
  return { packed, back }
}

describe('packed envelope', () => {
  it('packs kipc-* fields in order without their prefix and leaves every other header out', () => {
    const { packed, back } = roundTrip(new Map([['kipc-v', '1'], ['kipc-kind', 'reply'], ['content-type', 'application/json'], ['kipc-status', '200'], ['traceparent', '00-a-b-01']]))
    assert.equal(packed, 'v=1;kind=reply;status=200')
    assert.deepEqual([...back], [['kipc-v', '1'], ['kipc-kind', 'reply'], ['kipc-status', '200']])
  })

  it('escapes %, ; and control characters, and only those, and reads them back exactly', () => {
    const query = 'a=1;b=50%;c=x\ny\u007f&d=é ✓'
    const { packed, back } = roundTrip(new Map([['kipc-v', '1'], ['kipc-query', query]]))
    assert.equal(packed, 'v=1;query=a=1%3Bb=50%25%3Bc=x%0Ay%7F&d=é ✓')
    assert.equal(back.get('kipc-query'), query)
  })

  it('packs nothing when there is no envelope field', () => {
    assert.equal(packedText(new Map([['x-a', '1']])), undefined)
  })

  it('packs a large envelope, and the next one as before', () => {
    const path = `/${'é'.repeat(3000)}`
    const { back } = roundTrip(new Map([['kipc-v', '1'], ['kipc-path', path]]))
    assert.equal(back.get('kipc-path'), path)
    assert.equal(roundTrip(new Map([['kipc-v', '1'], ['kipc-kind', 'event']])).packed, 'v=1;kind=event')
  })

  it('skips what is not a field from untrusted text: no name, a bad name, a bad escape; keeps the first of a repeated field; stops at the limit', () => {
    const into = new Map<string, string>()
    const added = unpackEnvelope('=x;v=1;;noequals;__proto__=polluted;Kind=Event;kind=request;kind=event;path=%zz;id=%4;future-field=ok', into, 80)
    assert.deepEqual([...into], [['kipc-v', '1'], ['kipc-kind', 'request'], ['kipc-future-field', 'ok']])
    assert.equal(added, 3)
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false)
    const limited = new Map<string, string>()
    assert.equal(unpackEnvelope('v=1;kind=event;id=a', limited, 2), 2)
    assert.equal(limited.size, 2)
  })

  it('does not overwrite a field the map already holds', () => {
    const into = new Map([['kipc-kind', 'event']])
    unpackEnvelope('kind=request', into, 80)
    assert.equal(into.get('kipc-kind'), 'event')
  })

  it('reads back exactly what it packed, for values made of the characters that need care', () => {
    const alphabet = ['a', 'Z', '0', '=', ';', '%', '%2', '%3B', '\n', '\u0000', '\u007f', 'é', '✓', ' ', '&', '/']
    let seed = 7
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648)
    for (let round = 0; round < 500; round++) {
      const value = Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join('')
      const headers = new Map([['kipc-v', '1'], ['kipc-path', value], ['kipc-query', `${value}${value}`]])
      assert.deepEqual(roundTrip(headers).back, headers, JSON.stringify(value))
    }
  })
  it('packs an outgoing envelope from its fields in wire order, as packedText packs the same headers, escapes free text and leaves out an empty query', () => {
    const fields = { correlation: 'c;1', replyTo: 'kipc.inbox.a.b:0', deadline: 5, method: 'POST', path: '/a%b', query: '', status: 201, service: 'svc', seq: 3, stream: 'bytes' as const, window: 64 }
    const text = packFields('1', 'item', 'id-1', fields)
    assert.equal(text, 'v=1;kind=item;id=id-1;correlation=c%3B1;reply-to=kipc.inbox.a.b:0;deadline=5;method=POST;path=/a%25b;status=201;service=svc;seq=3;stream=bytes;window=64')
    const separate = new Map([['kipc-v', '1'], ['kipc-kind', 'item'], ['kipc-id', 'id-1'], ['kipc-correlation', 'c;1'], ['kipc-reply-to', 'kipc.inbox.a.b:0'], ['kipc-deadline', '5'], ['kipc-method', 'POST'], ['kipc-path', '/a%b'], ['kipc-status', '201'], ['kipc-service', 'svc'], ['kipc-seq', '3'], ['kipc-stream', 'bytes'], ['kipc-window', '64']])
    assert.equal(packedText(separate), text)
  })

  it('packs the repeating fields it keeps exactly as it packed them the first time, escaped, past as many values as it keeps', () => {
    const fields = { replyTo: 'kipc.inbox.a;b:0', deadline: 7, method: 'PO%ST', path: '/x;y', status: 404, service: 's%1' }
    const expected = 'v=1;kind=request;id=i%3B1;reply-to=kipc.inbox.a%3Bb:0;deadline=7;method=PO%25ST;path=/x%3By;status=404;service=s%251'
    for (let round = 0; round < 3; round++) assert.equal(packFields('1', 'request', 'i;1', fields), expected)
    assert.equal(packFields('2', 'request', 'i', { service: 's' }), 'v=2;kind=request;id=i;service=s', 'the version is the one given')
    const long = `/${'x;'.repeat(5_000)}`
    for (let round = 0; round < 2; round++) assert.equal(packFields('1', 'request', 'i', { path: long }), `v=1;kind=request;id=i;path=/${'x%3B'.repeat(5_000)}`)
    for (let index = 0; index < 1_500; index++) {
      const path = `/orders/${String(index)};x`
      const text = packFields('1', 'request', 'i', { path, status: index })
      assert.equal(text, `v=1;kind=request;id=i;path=/orders/${String(index)}%3Bx;status=${String(index)}`)
      const back = new Map<string, string>()
      unpackEnvelope(text, back, 80)
      assert.equal(back.get('kipc-path'), path)
    }
  })

  it('opens a packed entry where it stands, keeping the first of a field given twice, and finds one field either way', () => {
    const headers = new Map([['x-first', 'a'], ['kipc', 'v=1;kind=event;id=e1;path=/p%3Bq'], ['kipc-kind', 'request'], ['kipc-seq', '7']])
    assert.deepEqual([...unpackedHeaders(headers)], [['x-first', 'a'], ['kipc-v', '1'], ['kipc-kind', 'event'], ['kipc-id', 'e1'], ['kipc-path', '/p;q'], ['kipc-seq', '7']])
    assert.deepEqual([envelopeField(headers, 'kipc-path'), envelopeField(headers, 'kipc-seq'), envelopeField(headers, 'kipc-status'), envelopeField(new Map(), 'kipc-id')], ['/p;q', '7', undefined, undefined])
  })

  it('reads every envelope field of untrusted text as the header reader does, whatever the text, and the same text twice alike', () => {
    // Two readers of one format: the pipeline's, by field index without a map, and the one that
    // opens an envelope into headers. Random segments of names and values the format gives meaning
    // to, known fields given twice among them.
    const names = ['v', 'kind', 'id', 'reply-to', 'path', 'status', 'service', 'seq', 'window', 'x', 'KIND', '', 'a=b', ' id']
    const values = ['1', 'request', 'a=b', '', '%3B', '50%25', '%2', '%zz', 'é', ' ', '=x', '%']
    let state = 7
    const next = (bound: number): number => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) & 0x7fffffff
      return state % bound
    }
    const fields: (string | undefined)[] = []
    for (let round = 0; round < 20_000; round++) {
      const segments: string[] = []
      const count = next(12)
      for (let segment = 0; segment < count; segment++) segments.push(`${names[next(names.length)] ?? ''}${next(5) === 0 ? '' : `=${values[next(values.length)] ?? ''}`}`)
      const text = segments.join(next(6) === 0 ? ';;' : ';')
      const expected = new Map<string, string>()
      unpackEnvelope(text, expected, Number.POSITIVE_INFINITY)
      for (let pass = 0; pass < 2; pass++) {
        readPackedFields(text, fields)
        envelopeFieldNames.forEach((name, index) => {
          assert.equal(fields[index], expected.get(`kipc-${name}`), `${JSON.stringify(text)}: ${name}`)
        })
      }
    }
  })
})
