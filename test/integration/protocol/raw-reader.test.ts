// The other direction of raw-client.test.ts: a kafka-ipc Client writes, and a plain Kafka
// consumer reads its records with nothing but docs/protocol.md §2-3: the header set of a request, a
// gather request, an event and a cancel, in the documented order, with the key and the value — in
// the packed envelope (the default) and with one header per field (policy envelope: 'headers'). If
// the code and the document drift apart, this test fails. Nothing from src/core/protocol/ is used on
// the raw side on purpose.
import assert from 'node:assert/strict'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { event, gather, route, stream } from '../../../src/core/contracts.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'
import { envelopeFields } from '../../support/raw-envelope.ts'

const brokers = useKafka()

interface Read {
  readonly topic: string
  readonly key: string | undefined
  /** The record's header names, as on the wire. */
  readonly headerNames: string[]
  /** The header names with a packed `kipc` header read as its fields, in order. */
  readonly fieldNames: string[]
  readonly headers: Record<string, string>
  readonly value: string
}

/** The names a record carries in either form: the packed one's header names, else the separate fields'. */
function documented(envelope: 'packed' | 'headers', fields: string[], others: string[], separate: string[]): { headerNames: string[]; fieldNames: string[] } {
  return envelope === 'packed' ? { headerNames: ['kipc', ...others], fieldNames: [...fields, ...others] } : { headerNames: separate, fieldNames: separate }
}

const quote = route('pricing', 'POST /quotes/:currency', { body: z.object({ to: z.string() }) })
const fares = stream('pricing', 'POST /fares')
const holdSeats = gather('seats.hold', { body: z.object({ flight: z.string() }) })
const booked = event('booking.created', { body: z.object({ id: z.string() }) })

/** Reads every record of `topics` from the start with a plain consumer until `until` holds. */
async function readRaw(bootstrapBrokers: string[], topics: string[], until: (read: Read[]) => boolean): Promise<Read[]> {
  const consumer = new Consumer({ clientId: 'raw-reader', groupId: uniqueName('raw-reader'), bootstrapBrokers, deserializers: stringDeserializers, maxWaitTime: 100 })
  const read: Read[] = []
  try {
    const records = await consumer.consume({ topics, mode: 'earliest' })
    for await (const record of records) {
      const entries = [...record.headers]
      const fields = envelopeFields(entries)
      read.push({ topic: record.topic, key: record.key === '' ? undefined : record.key, headerNames: entries.map(([name]) => name), fieldNames: fields.map(([name]) => name), headers: Object.fromEntries(fields), value: record.value })
      if (until(read)) break
    }
    await records.close()
  } finally {
    await consumer.close(true)
  }
  return read
}

describe('what kafka-ipc writes, read with a plain Kafka client (docs/protocol.md §2-3)', { timeout: 120_000 }, () => {
  for (const envelope of ['packed', 'headers'] as const) {
    it(`requests, gather requests, events and cancels carry exactly the documented headers, envelope first (envelope: '${envelope}')`, async () => {
      await writtenAndRead(envelope)
    })
  }
})

async function writtenAndRead(envelope: 'packed' | 'headers'): Promise<void> {
  {
    const prefix = uniqueName('rawread')
    const policy = definePolicy({ prefix, partitions: 1, timeoutMs: 3_000, envelope })
    const bootstrapBrokers = brokers()
    const admin = new Admin({ clientId: 'raw-reader', bootstrapBrokers })
    const producer = new Producer({ clientId: 'raw-reader', bootstrapBrokers, serializers: stringSerializers })
    // The request topic belongs to the service; here a plain client plays the service.
    const requests = `${prefix}.pricing.requests`
    const responderInbox = `${prefix}.inbox.pricing.raw`
    await admin.createTopics({ topics: [requests, responderInbox], partitions: 1, replicas: 1 })
    const client = new Client({ name: 'booking', policy, transport: kafkaTransport({ brokers: bootstrapBrokers }), ownsTransport: true })
    try {
      await client.ready()
      const sentAt = Date.now()
      await client.call(quote, { body: { to: 'JFK' }, params: { currency: 'EUR' }, key: 'order-7', headers: { 'x-tenant': 'acme' }, timeout: 500 }).catch(() => undefined)
      await client.gather(holdSeats, { body: { flight: 'LO26' }, timeout: 300 })
      await client.emit(booked, { id: 'B1' }, { key: 'B1', headers: { 'x-trace': 't1' } })
      // A stream whose first item names the raw responder's inbox; leaving the loop sends the cancel there.
      const streaming = (async () => {
        for await (const item of client.stream(fares, { timeout: 10_000 })) {
          assert.ok(item)
          break
        }
      })()
      const [streamRequest] = await readRaw(bootstrapBrokers, [requests], (read) => read.length >= 2)
        .then((read) => read.filter((record) => record.headers['kipc-path'] === '/fares'))
      assert.ok(streamRequest)
      const [inboxTopic = '', inboxPartition = '0'] = (streamRequest.headers['kipc-reply-to'] ?? '').split(':')
      await producer.send({
        messages: [
          {
            topic: inboxTopic,
            partition: Number(inboxPartition),
            value: '{"n":1}',
            headers: new Map([
              ['kipc-v', '1'],
              ['kipc-kind', 'item'],
              ['kipc-id', randomUUID()],
              ['kipc-correlation', streamRequest.headers['kipc-id'] ?? ''],
              ['kipc-status', '200'],
              ['kipc-service', 'pricing'],
              ['kipc-seq', '0'],
              ['kipc-reply-to', `${responderInbox}:0`],
            ]),
          },
        ],
      })
      await streaming

      const [request] = await readRaw(bootstrapBrokers, [requests], (read) => read.length >= 1)
      assert.ok(request)
      const requestFields = ['kipc-v', 'kipc-kind', 'kipc-id', 'kipc-reply-to', 'kipc-deadline', 'kipc-method', 'kipc-path', 'kipc-service']
      assert.deepEqual({ headerNames: request.headerNames, fieldNames: request.fieldNames }, documented(envelope, requestFields, ['x-tenant'], ['kipc-v', 'kipc-kind', 'kipc-id', 'kipc-reply-to', 'kipc-deadline', 'kipc-method', 'kipc-path', 'kipc-service', 'x-tenant']))
      // A JSON body, the codec's own type, goes untyped (docs/protocol.md §2): a reader takes it as JSON.
      assert.deepEqual([request.headers['kipc-v'], request.headers['kipc-kind'], request.headers['kipc-method'], request.headers['kipc-path'], request.headers['kipc-service'], request.headers['content-type']], ['1', 'request', 'POST', '/quotes/EUR', 'booking', undefined])
      assert.match(request.headers['kipc-id'] ?? '', /^[\w-]{1,128}$/)
      assert.equal(request.headers['kipc-reply-to'], client.address)
      const deadline = Number(request.headers['kipc-deadline'])
      assert.ok(deadline >= sentAt + 500 && deadline < Date.now() + 500, 'the deadline is send time + timeout, as epoch ms')
      assert.deepEqual([request.key, JSON.parse(request.value)], ['order-7', { to: 'JFK' }])

      const [gatherRequest] = await readRaw(bootstrapBrokers, [`${prefix}.gather.seats.hold`], (read) => read.length >= 1)
      assert.ok(gatherRequest)
      assert.deepEqual({ headerNames: gatherRequest.headerNames, fieldNames: gatherRequest.fieldNames }, documented(envelope, requestFields, [], ['kipc-v', 'kipc-kind', 'kipc-id', 'kipc-reply-to', 'kipc-deadline', 'kipc-method', 'kipc-path', 'kipc-service']))
      assert.deepEqual([gatherRequest.headers['kipc-method'], gatherRequest.headers['kipc-path'], JSON.parse(gatherRequest.value)], ['POST', '/seats.hold', { flight: 'LO26' }])

      const [emitted] = await readRaw(bootstrapBrokers, [`${prefix}.event.booking.created`], (read) => read.length >= 1)
      assert.ok(emitted)
      assert.deepEqual({ headerNames: emitted.headerNames, fieldNames: emitted.fieldNames }, documented(envelope, ['kipc-v', 'kipc-kind', 'kipc-id', 'kipc-service'], ['x-trace'], ['kipc-v', 'kipc-kind', 'kipc-id', 'kipc-service', 'x-trace']))
      assert.deepEqual([emitted.headers['kipc-kind'], emitted.headers['kipc-service'], emitted.key, JSON.parse(emitted.value)], ['event', 'booking', 'B1', { id: 'B1' }])

      const [cancel] = await readRaw(bootstrapBrokers, [responderInbox], (read) => read.length >= 1)
      assert.ok(cancel)
      const cancelFields = ['kipc-v', 'kipc-kind', 'kipc-id', 'kipc-correlation', 'kipc-service']
      assert.deepEqual({ headerNames: cancel.headerNames, fieldNames: cancel.fieldNames }, documented(envelope, cancelFields, [], cancelFields))
      assert.deepEqual([cancel.headers['kipc-kind'], cancel.headers['kipc-correlation'], cancel.headers['kipc-service'], cancel.key, cancel.value], ['cancel', streamRequest.headers['kipc-id'], 'booking', undefined, ''])
    } finally {
      await client.close()
      await producer.close()
      await admin.close()
    }
  }
}
