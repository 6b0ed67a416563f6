// docs/protocol.md is precise enough to speak kafka-ipc without kafka-ipc: this test starts a real
// kafka-ipc Service and then talks to it with nothing but a plain Kafka client, the topic names
// and the header names written down in the document: it writes one header per field and reads the
// answers' packed `kipc` header (§2) by plain string splitting (test/support/raw-envelope.ts).
// Nothing from src/ is used on the raw side on purpose — if the code and the document drift apart,
// this test fails.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Admin, Consumer, type Message, type MessagesStream, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { after, before, describe, it } from 'node:test'
import { route, stream } from '../../../src/core/contracts.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import type { Transport } from '../../../src/core/transport.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'
import { envelopeFields } from '../../support/raw-envelope.ts'

const brokers = useKafka()

type RawMessage = Message<string, string, string, string>

/** One record read from the raw inbox, headers as a plain object. */
interface Received {
  readonly headers: Readonly<Record<string, string>>
  readonly value: string
  readonly partition: number
  /** The record key; answers carry none. */
  readonly key: string | undefined
}

const quote = route('pricing', 'POST /quotes/:currency')
const fares = stream('pricing', 'POST /fares')
const slowFares = stream('pricing', 'POST /fares/slow')

describe('speaking protocol v1 with a plain Kafka client (docs/protocol.md)', { timeout: 120_000 }, () => {
  // Names exactly as docs/protocol.md "Topics and consumer groups" spells them.
  const prefix = uniqueName('rawproto')
  const requestsTopic = `${prefix}.pricing.requests`
  const inboxTopic = `${prefix}.inbox.raw-client.${randomUUID().slice(0, 8)}`
  const inboxAddress = `${inboxTopic}:0`

  const serviceErrors: unknown[] = []
  const received: Received[] = []
  let transport: Transport | undefined
  let service: Service | undefined
  let admin: Admin | undefined
  let producer: Producer<string, string, string, string> | undefined
  let consumer: Consumer<string, string, string, string> | undefined
  let inboxStream: MessagesStream<string, string, string, string> | undefined
  let slowStreamClosed = false

  before(async () => {
    const bootstrapBrokers = brokers()
    transport = kafkaTransport({ brokers: bootstrapBrokers })
    service = new Service({
      name: 'pricing',
      policy: definePolicy({ prefix, partitions: 2 }),
      transport,
      onError: (error) => serviceErrors.push(error),
    })
    service.handle(quote, (request, context) => {
      const body = request.body as { from: string; to: string }
      return { from: body.from, to: body.to, price: 120, currency: request.params.currency, caller: context.caller ?? null, tenant: request.headers['x-tenant'] ?? null, key: request.key ?? null, type: request.headers['content-type'] ?? null }
    })
    service.handle(fares, async function* (request) {
      const { count } = request.body as { count: number }
      for (let n = 0; n < count; n++) {
        await Promise.resolve()
        yield { n, fare: 100 + n }
      }
    })
    service.handle(slowFares, async function* (_request, context) {
      try {
        for (let n = 0; n < 1_000; n++) {
          yield { n }
          await sleep(50, undefined, { signal: context.signal }).catch(() => undefined)
        }
      } finally {
        slowStreamClosed = true
      }
    })
    await service.listen()

    admin = new Admin({ clientId: 'raw-admin', bootstrapBrokers })
    // The inbox, named `<prefix>.inbox.<service>.<instance>`; two partitions, so that a test can
    // check an answer goes to exactly the partition its request names (kafka-ipc's own use one).
    await admin.createTopics({ topics: [inboxTopic], partitions: 2, replicas: -1 })
    producer = new Producer({ clientId: 'raw-producer', bootstrapBrokers, serializers: stringSerializers, acks: -1 })
    consumer = new Consumer({ clientId: 'raw-inbox', groupId: uniqueName('raw-inbox'), bootstrapBrokers, deserializers: stringDeserializers, maxWaitTime: 100 })
    inboxStream = await consumer.consume({ topics: [inboxTopic], mode: 'earliest' })
    inboxStream.on('data', (message: RawMessage) => {
      // Empty and null values both mean "no body".
      received.push({ headers: Object.fromEntries(envelopeFields(message.headers)), value: orEmpty(message.value), partition: message.partition, key: message.key === '' ? undefined : message.key })
    })
  })

  after(async () => {
    // Services before their transport; the raw clients last.
    await service?.close().catch(() => undefined)
    await transport?.close().catch(() => undefined)
    await inboxStream?.close().catch(() => undefined)
    await consumer?.close(true).catch(() => undefined)
    await producer?.close().catch(() => undefined)
    await admin?.deleteTopics({ topics: [inboxTopic] }).catch(() => undefined)
    await admin?.close().catch(() => undefined)
  })

  /** Sends one request record with the headers docs/protocol.md lists for kind `request`. */
  async function sendRequest(options: { method: string; path: string; body: unknown; key?: string; headers?: Record<string, string>; deadline?: number; replyTo?: string; untyped?: boolean }): Promise<string> {
    assert.ok(producer)
    const id = randomUUID()
    await producer.send({
      messages: [
        {
          topic: requestsTopic,
          ...(options.key === undefined ? {} : { key: options.key }),
          value: JSON.stringify(options.body),
          headers: {
            ...options.headers,
            'kipc-v': '1',
            'kipc-kind': 'request',
            'kipc-id': id,
            ...(options.untyped === true ? {} : { 'content-type': 'application/json' }),
            'kipc-reply-to': options.replyTo ?? inboxAddress,
            'kipc-deadline': String(options.deadline ?? Date.now() + 30_000),
            'kipc-method': options.method,
            'kipc-path': options.path,
            'kipc-service': 'raw-client',
          },
        },
      ],
    })
    return id
  }

  /** Waits until `done` holds for the answers to request `id`, and returns them in inbox order. */
  async function answersTo(id: string, done: (answers: Received[]) => boolean, timeoutMs = 30_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const answers = received.filter((message) => message.headers['kipc-correlation'] === id)
      if (done(answers)) return answers
      if (Date.now() > deadline) assert.fail(`no complete answer to ${id} within ${timeoutMs} ms; got ${JSON.stringify(answers)}; service errors: ${serviceErrors.map(String).join('; ')}`)
      await sleep(20)
    }
  }

  async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
      await sleep(20)
    }
  }

  it('request → reply: kind reply, correlation = request id, status 200, JSON body', async () => {
    const id = await sendRequest({ method: 'POST', path: '/quotes/EUR', key: 'WAW-JFK', body: { from: 'WAW', to: 'JFK' }, headers: { 'x-tenant': 'acme' } })
    const [reply] = await answersTo(id, (answers) => answers.length > 0)
    assert.ok(reply)
    assert.equal(reply.headers['kipc-v'], '1')
    assert.equal(reply.headers['kipc-kind'], 'reply')
    assert.equal(reply.headers['kipc-correlation'], id)
    assert.equal(reply.headers['kipc-status'], '200')
    assert.equal(reply.headers['kipc-service'], 'pricing')
    assert.equal(reply.headers['content-type'], undefined, "a JSON body, the codec's own type, goes untyped")
    assert.match(reply.headers['kipc-id'] ?? '', /^[A-Za-z0-9_-]{1,128}$/)
    assert.notEqual(reply.headers['kipc-id'], id, 'a reply has an id of its own')
    assert.equal(reply.partition, 0, 'the partition named in kipc-reply-to')
    assert.equal(reply.key, undefined, 'answers carry no key')
    assert.deepEqual(JSON.parse(reply.value), { from: 'WAW', to: 'JFK', price: 120, currency: 'EUR', caller: 'raw-client', tenant: 'acme', key: 'WAW-JFK', type: 'application/json' })
  })

  it('reads a request without content-type as the codec\'s, and its handler sees the type it was read as', async () => {
    const id = await sendRequest({ method: 'POST', path: '/quotes/EUR', body: { from: 'WAW', to: 'JFK' }, untyped: true })
    const [reply] = await answersTo(id, (answers) => answers.length > 0)
    assert.ok(reply)
    assert.deepEqual([reply.headers['kipc-kind'], reply.headers['kipc-status']], ['reply', '200'])
    assert.deepEqual(JSON.parse(reply.value), { from: 'WAW', to: 'JFK', price: 120, currency: 'EUR', caller: 'raw-client', tenant: null, key: null, type: 'application/json' })
  })

  it('answers go to exactly the partition kipc-reply-to names, without a key, for replies, items and the end', async () => {
    const replyId = await sendRequest({ method: 'POST', path: '/quotes/EUR', key: 'k', body: { from: 'WAW', to: 'JFK' }, replyTo: `${inboxTopic}:1` })
    const streamId = await sendRequest({ method: 'POST', path: '/fares', key: 'k', body: { count: 2 }, replyTo: `${inboxTopic}:1` })
    const answers = [...(await answersTo(replyId, (list) => list.length > 0)), ...(await answersTo(streamId, (list) => list.some((message) => message.headers['kipc-kind'] === 'end')))]
    assert.deepEqual([...new Set(answers.map((answer) => answer.partition))], [1])
    assert.deepEqual([...new Set(answers.map((answer) => answer.key))], [undefined])
  })

  /** Items in stream order from `item` records (one item) and `items` records (an array from kipc-seq on). */
  function streamed(answers: readonly Received[]): { seq: number; item: unknown }[] {
    return answers.flatMap((message) => {
      const first = Number(message.headers['kipc-seq'])
      if (message.headers['kipc-kind'] === 'item') return [{ seq: first, item: JSON.parse(message.value) as unknown }]
      if (message.headers['kipc-kind'] === 'items') return (JSON.parse(message.value) as unknown[]).map((item, index) => ({ seq: first + index, item }))
      return []
    })
  }

  it('stream: item seq 0 alone at once, the rest as item or items records in seq order, each carrying the responder inbox, then the end with seq 3', async () => {
    const id = await sendRequest({ method: 'POST', path: '/fares', body: { count: 3 } })
    const answers = await answersTo(id, (list) => list.some((message) => message.headers['kipc-kind'] === 'end'))
    assert.deepEqual([answers[0]?.headers['kipc-kind'], answers[0]?.headers['kipc-seq']], ['item', '0'], 'an idle responder sends the first item without waiting for more')
    assert.deepEqual(
      streamed(answers),
      [0, 1, 2].map((n) => ({ seq: n, item: { n, fare: 100 + n } })),
    )
    const records = answers.slice(0, -1)
    assert.ok(records.every((record) => record.headers['kipc-kind'] === 'item' || record.headers['kipc-kind'] === 'items'))
    for (const record of records) {
      assert.equal(record.headers['kipc-status'], '200')
      assert.equal(record.headers['kipc-service'], 'pricing')
      // Where a cancel must go: the responder instance's own inbox.
      assert.equal(record.headers['kipc-reply-to'], service?.client.address)
      assert.match(record.headers['kipc-reply-to'] ?? '', new RegExp(`^${prefix.replaceAll('.', '\\.')}\\.inbox\\.pricing\\.[A-Za-z0-9._-]+:0$`))
    }
    const end = answers.at(-1)
    assert.ok(end)
    assert.deepEqual([end.headers['kipc-kind'], end.headers['kipc-seq']], ['end', '3'])
    assert.equal(end.value, '', 'the end marker has no body')
    assert.equal(end.headers['kipc-status'], '200')
    assert.equal(end.headers['kipc-reply-to'], undefined)
  })

  it('stream: 2,000 fast items travel as items records of many items each, complete and in seq order', async () => {
    const id = await sendRequest({ method: 'POST', path: '/fares', body: { count: 2_000 } })
    const answers = await answersTo(id, (list) => list.some((message) => message.headers['kipc-kind'] === 'end'))
    assert.deepEqual(
      streamed(answers).map(({ seq, item }) => [seq, (item as { n: number }).n]),
      Array.from({ length: 2_000 }, (_, n) => [n, n]),
    )
    assert.ok(answers.some((record) => record.headers['kipc-kind'] === 'items'), 'items yielded while a record is in flight share the next record')
    assert.ok(answers.length < 1_000, `${answers.length} records for 2,000 items`)
    assert.equal(answers.at(-1)?.headers['kipc-seq'], '2000')
  })

  it('stream: a cancel record sent to the item’s kipc-reply-to stops the responder; no end follows', async () => {
    assert.ok(producer)
    const id = await sendRequest({ method: 'POST', path: '/fares/slow', body: {} })
    const [first] = await answersTo(id, (answers) => answers.length > 0)
    assert.ok(first)
    assert.equal(first.headers['kipc-kind'], 'item')
    const responder = /^(.+):(\d+)$/.exec(first.headers['kipc-reply-to'] ?? '')
    assert.ok(responder?.[1] !== undefined && responder[2] !== undefined, 'items carry the responder inbox as topic:partition')
    await producer.send({
      messages: [
        {
          topic: responder[1],
          partition: Number(responder[2]),
          value: '',
          headers: { 'kipc-v': '1', 'kipc-kind': 'cancel', 'kipc-id': randomUUID(), 'content-type': 'application/json', 'kipc-correlation': id, 'kipc-service': 'raw-client' },
        },
      ],
    })
    await until(() => slowStreamClosed, "the stream handler's finally")
    const count = received.filter((message) => message.headers['kipc-correlation'] === id).length
    await sleep(300)
    const answers = received.filter((message) => message.headers['kipc-correlation'] === id)
    assert.ok(answers.length <= count + 1, 'at most an item already in flight follows the cancel')
    assert.ok(answers.length < 1_000)
    assert.ok(answers.every((message) => message.headers['kipc-kind'] === 'item' || message.headers['kipc-kind'] === 'items'), 'a cancelled stream sends no end and no error')
  })

  it('an unknown path gets an error with status 404 and code KIPC_NOT_FOUND', async () => {
    const id = await sendRequest({ method: 'POST', path: '/nowhere', body: { any: 'thing' } })
    const [error] = await answersTo(id, (answers) => answers.length > 0)
    assert.ok(error)
    assert.equal(error.headers['kipc-kind'], 'error')
    assert.equal(error.headers['kipc-correlation'], id)
    assert.equal(error.headers['kipc-status'], '404')
    assert.equal(error.headers['kipc-service'], 'pricing')
    const body = JSON.parse(error.value) as { code: string; message: string; retryable: boolean; stack?: string }
    assert.equal(body.code, 'KIPC_NOT_FOUND')
    assert.equal(body.retryable, false)
    assert.equal(typeof body.message, 'string')
    assert.equal(body.stack, undefined, 'no stack unless the policy exposes it')
  })

  it('drops, unanswered: an expired deadline, a reply target outside the inboxes, an unknown version', async () => {
    assert.ok(service && producer)
    const before = service.stats()
    const expired = await sendRequest({ method: 'POST', path: '/quotes/EUR', body: { from: 'A', to: 'B' }, deadline: Date.now() - 1 })
    const foreign = await sendRequest({ method: 'POST', path: '/quotes/EUR', body: { from: 'A', to: 'B' }, replyTo: `${requestsTopic}:0` })
    await producer.send({
      messages: [
        {
          topic: requestsTopic,
          value: '{}',
          headers: { 'kipc-v': '2', 'kipc-kind': 'request', 'kipc-id': randomUUID(), 'kipc-reply-to': inboxAddress, 'kipc-method': 'POST', 'kipc-path': '/quotes/EUR' },
        },
      ],
    })
    await until(() => {
      const stats = service?.stats()
      return stats !== undefined && stats.expired > before.expired && stats.rejectedReplyTargets > before.rejectedReplyTargets && stats.malformed > before.malformed
    }, 'the service to count the dropped requests')
    const handled = service.stats().handled
    await sleep(300)
    assert.equal(service.stats().handled, handled, 'none of them ran a handler')
    assert.deepEqual(
      received.filter((message) => message.headers['kipc-correlation'] === expired || message.headers['kipc-correlation'] === foreign),
      [],
    )
  })
})

/** A record with a null value arrives as undefined, whatever the deserializer's type says. */
function orEmpty(value: string | undefined): string {
  return value ?? ''
}
