// Hostile records, written raw as any Kafka client could, through the transport under test. Bodies
// and headers crafted to pollute prototypes reach the handlers as plain data and change no
// prototype. Records that are not kafka-ipc messages (no envelope, an unknown version or kind, no
// id), bodies in the wrong content type or not UTF-8, and events over the size limit are each
// dropped or answered with the error this file names, counted and reported — an event
// dead-lettered — and the service handles the next good record. (Wrong kinds and reply targets:
// drop-rules.ts; oversized and undecodable requests, oversized inbox records: protocol-edges.ts;
// compression bombs, which only Kafka has: test/integration/security/compression-bombs.test.ts.)
import assert from 'node:assert/strict'
import { isNullRecord } from '../../src/core/null-record.ts'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { FailureContext } from '../../src/core/failure.ts'
import { isKafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { WireHeaders } from '../../src/core/protocol/headers.ts'
import type { IncomingMessage, OutgoingMessage } from '../../src/core/transport.ts'
import { booked, echo } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'
import { readAll } from './dead-letters.ts'
import { rawAnswerInbox } from './protocol-edges.ts'
import { envelopeField } from '../../src/core/protocol/packed-envelope.ts'

/** A JSON text and headers that try every common route to a prototype, with marker names unique to this run. */
function hostile(marker: string, valid: Record<string, unknown>): { json: string; headers: WireHeaders; keys: string[] } {
  const keys = [`${marker}a`, `${marker}b`, `${marker}c`, `${marker}d`]
  const [a = '', b = '', c = '', d = ''] = keys
  // Written as text: an object literal with __proto__ would set the prototype of the literal itself.
  const json = `{${Object.entries(valid)
    .map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`)
    .join(',')},"__proto__":{"${a}":1},"constructor":{"prototype":{"${b}":1}},"nested":{"__proto__":{"${c}":1},"list":[{"__proto__":{"${d}":1}}]}}`
  const headers: WireHeaders = new Map([
    ['__proto__', `{"${a}":1}`],
    ['constructor', 'x'],
    ['prototype', 'x'],
    ['hasownproperty', 'x'],
    [a, 'x'],
  ])
  return { json, headers, keys }
}

function assertPrototypesClean(keys: readonly string[]): void {
  for (const key of keys) {
    assert.equal(Object.hasOwn(Object.prototype, key), false, `Object.prototype.${key}`)
    assert.equal(Object.hasOwn(Array.prototype, key), false, `Array.prototype.${key}`)
    assert.equal(Object.hasOwn(Function.prototype, key), false, `Function.prototype.${key}`)
    assert.equal((({}) as Record<string, unknown>)[key], undefined)
    assert.equal(([] as unknown as Record<string, unknown>)[key], undefined)
  }
}


/** Records that are not kafka-ipc messages, and the KIPC_PROTOCOL_ERROR message each is dropped with. */
function foreignRecords(topic: string, kind: 'request' | 'event'): { record: OutgoingMessage; error: RegExp }[] {
  const body = new TextEncoder().encode('{"id":"B1","seq":1}')
  return [
    // A plain Kafka producer's record: no headers at all, bytes that are not even UTF-8.
    { record: { topic, headers: new Map(), value: new Uint8Array([0xff, 0xfe, 0x00, 0x01]) }, error: /unsupported protocol version null/ },
    { record: { topic, headers: new Map([['kipc-v', '99'], ['kipc-kind', kind], ['kipc-id', randomUUID()]]), value: body }, error: /unsupported protocol version "99"/ },
    { record: { topic, headers: new Map([['kipc-v', '1'], ['kipc-kind', 'gossip'], ['kipc-id', randomUUID()]]), value: body }, error: /unknown message kind "gossip"/ },
    { record: { topic, headers: new Map([['kipc-v', '1'], ['kipc-kind', kind]]), value: body }, error: /missing or oversized kipc-id/ },
  ]
}

export function hostileInputSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('hostile bodies and headers', () => {
    it('a request and an event built to pollute prototypes reach their handlers as plain data and change no prototype', async () => {
      const { service, client, transport, policy } = kit()
      const marker = `kipcPolluted${randomUUID().replaceAll('-', '')}`
      const seen: { body: unknown; headers: Record<string, string> }[] = []
      const app = service('echo')
      app.handle(echo, (request) => {
        seen.push({ body: request.body, headers: request.headers })
        return { ...request.body, responder: 'r' }
      })
      app.on(booked, (event) => {
        seen.push({ body: event.body, headers: event.headers })
      })
      await app.listen()
      const caller = client('caller')
      await caller.ready()
      const request = hostile(marker, { caller: 'c', n: 1 })
      const event = hostile(marker, { id: 'B1', seq: 1 })
      const raw = transport()
      const asBytes = (json: string): Uint8Array => new TextEncoder().encode(json)
      const requestRecord = buildMessage(
        { topic: topicNames.requests(policy, 'echo') },
        'request',
        { replyTo: caller.address, deadline: Date.now() + 10_000, method: echo.method, path: echo.path, service: 'caller' },
        undefined,
        policy.codec,
        policy.maxMessageBytes,
        request.headers,
      )
      const eventRecord = buildMessage({ topic: topicNames.event(policy, booked.name) }, 'event', { service: 'caller' }, undefined, policy.codec, policy.maxMessageBytes, event.headers)
      await raw.send([
        { ...requestRecord, value: asBytes(request.json) },
        { ...eventRecord, value: asBytes(event.json) },
      ])
      await waitUntil(() => seen.length >= 2, 'both handlers ran')
      assertPrototypesClean([...request.keys, ...event.keys])
      for (const { body, headers } of seen) {
        // The contract's schema keeps only the fields it declares.
        assert.equal(Object.getPrototypeOf(body), Object.prototype)
        for (const key of ['__proto__', 'constructor', 'nested']) assert.equal(Object.hasOwn(body as object, key), false, `the body kept no ${key}`)
        // Headers are a record that inherits nothing: hostile names are plain entries.
        assert.ok(isNullRecord(headers))
        assert.equal(headers['__proto__'], `{"${marker}a":1}`)
        assert.equal(headers['constructor'], 'x')
        assert.equal(headers['hasownproperty'], 'x')
      }
    })

    it('records that are not kafka-ipc messages are dropped and counted (requests) or dead-lettered (events), each reported with KIPC_PROTOCOL_ERROR; the next good ones are handled', async () => {
      const { service, client, transport, policy } = kit()
      const reported: { error: unknown; context: FailureContext }[] = []
      const app = service('echo', { onError: (error, context) => reported.push({ error, context }) })
      const events: number[] = []
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      app.on(booked, (event) => {
        events.push(event.body.seq)
      })
      await app.listen()
      const requests = foreignRecords(topicNames.requests(policy, 'echo'), 'request')
      const emitted = foreignRecords(topicNames.event(policy, booked.name), 'event')
      await transport().send([...requests, ...emitted].map(({ record }) => record))
      await waitUntil(() => app.stats().malformed === 4 && app.stats().deadLettered === 4, 'every foreign record is dropped or dead-lettered')
      assert.equal(app.stats().eventsFailed, 4)
      assert.equal(app.stats().handled + app.stats().eventsHandled, 0, 'no handler ran')
      for (const [topic, expected] of [[topicNames.requests(policy, 'echo'), requests], [topicNames.event(policy, booked.name), emitted]] as const) {
        const errors = reported.filter(({ context }) => context.topic === topic && context.kind === 'message-dropped').map(({ error }) => error)
        assert.equal(errors.length, 4, topic)
        for (const { error } of expected) assert.ok(errors.some((each) => isKafkaIpcError(each, 'KIPC_PROTOCOL_ERROR') && error.test(each.message)), `${topic}: ${String(error)}`)
      }
      const letters: IncomingMessage[] = []
      const reader = await readAll(transport(), topicNames.deadLetters(policy, 'echo'), letters)
      try {
        await waitUntil(() => letters.length === 4, 'the four dead letters are read')
        assert.deepEqual(new Set(letters.map((letter) => `${String(envelopeField(letter.headers, 'kipc-dlt-reason'))} ${String(envelopeField(letter.headers, 'kipc-dlt-code'))}`)), new Set(['malformed KIPC_PROTOCOL_ERROR']))
        // The headerless record's bytes are kept as they came, for a person to read.
        assert.ok(letters.some((letter) => letter.value.byteLength === 4 && letter.value[0] === 0xff))
      } finally {
        await reader.close()
      }
      const caller = client('caller')
      assert.equal((await caller.call(echo, { body: { caller: 'c', n: 5 } })).n, 5)
      await caller.emit(booked, { id: 'B2', seq: 2 })
      await waitUntil(() => events.includes(2), 'the next event is handled')
      assert.deepEqual(events, [2])
    })

    it('a body in the wrong content type or not UTF-8 is answered 400 without running the handler; such an event is dead-lettered as invalid', async () => {
      const { service, client, transport, policy } = kit()
      let runs = 0
      const app = service('echo')
      app.handle(echo, (request) => {
        runs++
        return { ...request.body, responder: 'r' }
      })
      app.on(booked, () => {
        runs++
      })
      await app.listen()
      const caller = client('caller')
      await caller.ready()
      const raw = transport()
      const { inbox, answers } = await rawAnswerInbox(raw, policy)
      try {
        const wrong: readonly [string, string | undefined, Uint8Array][] = [
          ['xml', 'application/xml', new TextEncoder().encode('<echo caller="c" n="1"/>')],
          ['text', 'text/plain', new TextEncoder().encode('caller=c&n=1')],
          ['not-utf8', undefined, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
        ]
        await raw.send(
          wrong.map(([id, contentType, value]) => {
            const built = buildMessage({ topic: topicNames.requests(policy, 'echo') }, 'request', { replyTo: inbox.address, deadline: Date.now() + 10_000, method: echo.method, path: echo.path, service: 'raw' }, null, policy.codec, policy.maxMessageBytes, undefined, id)
            const headers: WireHeaders = new Map(built.headers)
            if (contentType === undefined) headers.delete('content-type')
            else headers.set('content-type', contentType)
            return { ...built, headers, value }
          }),
        )
        await waitUntil(() => answers.length >= 3, 'the three requests are answered')
        assert.deepEqual(
          answers.sort((a, b) => String(a.correlation).localeCompare(String(b.correlation))),
          ['not-utf8', 'text', 'xml'].map((correlation) => ({ correlation, status: 400, code: 'KIPC_BAD_REQUEST' })),
        )
        assert.equal(app.stats().failed, 3)
        const eventRecord = buildMessage({ topic: topicNames.event(policy, booked.name) }, 'event', { service: 'raw' }, null, policy.codec, policy.maxMessageBytes)
        await raw.send([{ ...eventRecord, headers: new Map([...eventRecord.headers, ['content-type', 'application/xml']]), value: new TextEncoder().encode('<booked id="B1"/>') }])
        await waitUntil(() => app.stats().deadLettered === 1, 'the event is dead-lettered')
        const letters: IncomingMessage[] = []
        const reader = await readAll(transport(), topicNames.deadLetters(policy, 'echo'), letters)
        try {
          await waitUntil(() => letters.length === 1, 'the dead letter is read')
          assert.deepEqual([envelopeField(letters[0]?.headers ?? new Map<string, string>(), 'kipc-dlt-reason'), envelopeField(letters[0]?.headers ?? new Map<string, string>(), 'kipc-dlt-code')], ['invalid', 'KIPC_BAD_REQUEST'])
        } finally {
          await reader.close()
        }
        assert.equal(runs, 0)
        assert.equal((await caller.call(echo, { body: { caller: 'c', n: 6 } })).n, 6)
      } finally {
        await inbox.close(true)
      }
    })

    it('an event over the size limit is dead-lettered with KIPC_PAYLOAD_TOO_LARGE, its value left out and its size told', async () => {
      const { service, transport, policy } = kit({ maxMessageBytes: 1_000 })
      const reported: unknown[] = []
      let runs = 0
      const app = service('ledger', { onError: (error) => reported.push(error) })
      app.on(booked, () => {
        runs++
      })
      await app.listen()
      const built = buildMessage({ topic: topicNames.event(policy, booked.name), key: 'K' }, 'event', { service: 'raw' }, null, policy.codec, policy.maxMessageBytes)
      await transport().send([{ ...built, value: new TextEncoder().encode(JSON.stringify({ id: 'x'.repeat(5_000), seq: 1 })) }])
      await waitUntil(() => app.stats().deadLettered === 1, 'the event is dead-lettered')
      assert.equal(runs, 0)
      assert.ok(reported.some((error) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE') && error.status === 413 && error.details['limit'] === 1_000))
      const letters: IncomingMessage[] = []
      const reader = await readAll(transport(), topicNames.deadLetters(policy, 'ledger'), letters)
      try {
        await waitUntil(() => letters.length === 1, 'the dead letter is read')
        const [letter] = letters
        assert.deepEqual([envelopeField(letter?.headers ?? new Map<string, string>(), 'kipc-dlt-reason'), envelopeField(letter?.headers ?? new Map<string, string>(), 'kipc-dlt-code'), envelopeField(letter?.headers ?? new Map<string, string>(), 'kipc-dlt-value-bytes'), letter?.value.byteLength, letter?.key], ['malformed', 'KIPC_PAYLOAD_TOO_LARGE', String(JSON.stringify({ id: 'x'.repeat(5_000), seq: 1 }).length), 0, 'K'])
      } finally {
        await reader.close()
      }
    })
  })
}
