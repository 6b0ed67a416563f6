// OpenTelemetry tracing across a real broker (docs/operations.md#tracing): a caller calls service A,
// whose handler calls service B, whose handler emits an event service C handles — one trace, each
// span the child of the one before, across three Kafka hops. Before any tracer provider is
// registered, nothing is traced and no traceparent is sent (an application's own travels as it
// is); the provider is registered only after the services listen, so the per-message check is
// what turns tracing on. Error answers mark their spans ERROR; a mounted app's requests are traced.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, NodeTracerProvider, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node'
import { z } from 'zod'
import type { Client } from '../../../src/core/client.ts'
import { event, route } from '../../../src/core/contracts.ts'
import { KafkaIpcError, RemoteError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import type { Service } from '../../../src/core/service.ts'
import { createClient, createService } from '../../../src/create.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import type { Transport } from '../../../src/core/transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'

const brokers = useKafka()

const quote = route('trace-a', 'POST /quotes/:id', { body: z.object({ n: z.number() }), reply: z.object({ price: z.number() }) })
const refuse = route('trace-a', 'POST /refusals', { reply: z.object({ never: z.boolean() }) })
const inner = route('trace-b', 'POST /inner', { body: z.object({ n: z.number() }), reply: z.object({ doubled: z.number() }) })
const priced = event('trace.priced', { body: z.object({ n: z.number() }) })

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const appTraceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

interface Seen {
  readonly id: string
  readonly traceparent: string | undefined
}

/** What each handler saw, in order, and a way to wait for C's next event. */
const seen = { a: [] as Seen[], b: [] as Seen[], c: [] as Seen[], mounted: [] as Seen[] }
let eventArrived = Promise.withResolvers<undefined>()

async function until<T>(what: string, read: () => T | undefined, withinMs = 20_000): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = read()
    if (value !== undefined) return value
    if (Date.now() - started > withinMs) throw new Error(`${what} did not happen within ${withinMs} ms`)
    await sleep(25)
  }
}

function byName(spans: readonly ReadableSpan[], kind: SpanKind, name: string): ReadableSpan {
  const found = spans.filter((span) => span.kind === kind && span.name === name)
  assert.equal(found.length, 1, `one ${SpanKind[kind]} span ${name} (spans: ${spans.map((span) => `${SpanKind[span.kind]} ${span.name}`).join(', ')})`)
  return found[0] as ReadableSpan
}

function assertChild(child: ReadableSpan, parent: ReadableSpan): void {
  assert.equal(child.spanContext().traceId, parent.spanContext().traceId, `${child.name} is in ${parent.name}'s trace`)
  assert.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId, `${child.name} is a child of ${parent.name}`)
}

describe('OpenTelemetry tracing across Kafka', { timeout: 240_000 }, () => {
  const prefix = uniqueName('trace')
  const policy = definePolicy({ prefix, partitions: 1, timeoutMs: 15_000 })
  const exporter = new InMemorySpanExporter()
  const services: Service[] = []
  const transports: Transport[] = []
  /** A transport of the test's own (so createService sees one given, as an application's), closed after. */
  const transport = (): Transport => {
    const made = kafkaTransport({ brokers: brokers() })
    transports.push(made)
    return made
  }
  let caller: Client

  before(async () => {
    const made = (name: string): Service => {
      const service = createService({ name, policy, transport: transport(), shutdown: false, logger: quiet })
      services.push(service)
      return service
    }
    const a = made('trace-a')
    a.handle(quote, async (request) => {
      seen.a.push({ id: request.id, traceparent: request.headers['traceparent'] })
      const { doubled } = await a.call(inner, { body: { n: request.body.n } })
      return { price: doubled }
    })
    a.handle(refuse, () => {
      throw new KafkaIpcError('OUT_OF_STOCK', 'Nothing left to quote.', { status: 409 })
    })
    const b = made('trace-b')
    b.handle(inner, async (request) => {
      seen.b.push({ id: request.id, traceparent: request.headers['traceparent'] })
      await b.emit(priced, { n: request.body.n }, { key: `n-${request.body.n}` })
      return { doubled: request.body.n * 2 }
    })
    made('trace-c').on(priced, (received) => {
      seen.c.push({ id: received.id, traceparent: received.headers['traceparent'] })
      eventArrived.resolve(undefined)
    })
    made('trace-d').mount((request) => {
      seen.mounted.push({ id: request.headers.get('x-probe') ?? '', traceparent: request.headers.get('traceparent') ?? undefined })
      return new Response(`served ${new URL(request.url).pathname}`, { headers: { 'content-type': 'text/plain' } })
    })
    await Promise.all(services.map((service) => service.listen()))
    caller = createClient({ name: 'trace-web', policy, transport: transport(), logger: quiet })
    await caller.ready()
  })

  after(async () => {
    await caller.close()
    await Promise.all(services.map((service) => service.close()))
    await Promise.all(transports.map((made) => made.close()))
  })

  it('with no tracer provider registered, sends no traceparent; an application’s own travels unchanged', async () => {
    eventArrived = Promise.withResolvers<undefined>()
    assert.deepEqual(await caller.call(quote, { params: { id: 'q1' }, body: { n: 1 } }), { price: 2 })
    await eventArrived.promise
    assert.deepEqual([seen.a.at(-1)?.traceparent, seen.b.at(-1)?.traceparent, seen.c.at(-1)?.traceparent], [undefined, undefined, undefined])

    eventArrived = Promise.withResolvers<undefined>()
    await caller.call(quote, { params: { id: 'q2' }, body: { n: 2 }, headers: { traceparent: appTraceparent } })
    await eventArrived.promise
    assert.equal(seen.a.at(-1)?.traceparent, appTraceparent, 'the caller’s own traceparent reaches the handler as sent')
    assert.equal(seen.b.at(-1)?.traceparent, undefined, 'and is not forwarded by the nested call')
  })

  it('once a provider is registered, one trace spans caller → A → nested call to B → B’s event → C’s handler', async () => {
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    // Registered after every service listens: tracing is decided per message. register() also
    // installs the W3C propagator and the AsyncLocalStorage context manager.
    provider.register()
    exporter.reset()
    eventArrived = Promise.withResolvers<undefined>()
    const response = await caller.request(quote, { params: { id: 'q3' }, body: { n: 21 }, key: 'order-7', headers: { traceparent: appTraceparent } })
    assert.deepEqual(response.body, { price: 42 })
    assert.equal(response.headers['traceparent'], undefined, 'answers carry no trace context')
    await eventArrived.promise
    const spans = await until('eight finished spans', () => {
      const finished = exporter.getFinishedSpans()
      return finished.length >= 8 ? finished : undefined
    })
    assert.equal(spans.length, 8)

    const call = byName(spans, SpanKind.CLIENT, 'trace-a POST /quotes/:id')
    const sendA = byName(spans, SpanKind.PRODUCER, `send ${prefix}.trace-a.requests`)
    const processA = byName(spans, SpanKind.CONSUMER, `process ${prefix}.trace-a.requests`)
    const nested = byName(spans, SpanKind.CLIENT, 'trace-b POST /inner')
    const sendB = byName(spans, SpanKind.PRODUCER, `send ${prefix}.trace-b.requests`)
    const processB = byName(spans, SpanKind.CONSUMER, `process ${prefix}.trace-b.requests`)
    const emit = byName(spans, SpanKind.PRODUCER, `send ${prefix}.event.trace.priced`)
    const processC = byName(spans, SpanKind.CONSUMER, `process ${prefix}.event.trace.priced`)

    assert.equal(call.parentSpanContext, undefined, 'the caller’s call starts the trace')
    assert.equal(new Set(spans.map((span) => span.spanContext().traceId)).size, 1, 'one trace id across all spans')
    assertChild(sendA, call)
    assertChild(processA, sendA)
    assertChild(nested, processA)
    assertChild(sendB, nested)
    assertChild(processB, sendB)
    assertChild(emit, processB)
    assertChild(processC, emit)
    for (const span of spans) assert.equal(span.status.code, SpanStatusCode.UNSET, `${span.name} did not fail`)

    // The handler sees the context kafka-ipc sent — the producer span's — not the application's own.
    const requestId = seen.a.at(-1)?.id
    assert.equal(seen.a.at(-1)?.traceparent, `00-${sendA.spanContext().traceId}-${sendA.spanContext().spanId}-01`)
    assert.equal(seen.c.at(-1)?.traceparent, `00-${emit.spanContext().traceId}-${emit.spanContext().spanId}-01`)

    assert.deepEqual(call.attributes, {
      'messaging.system': 'kafka',
      'messaging.destination.name': `${prefix}.trace-a.requests`,
      'messaging.client.id': `trace-web.${caller.instanceId}`,
      'kafka_ipc.kind': 'call',
      'kafka_ipc.service': 'trace-a',
      'http.request.method': 'POST',
      'url.path': '/quotes/q3',
      'url.template': '/quotes/:id',
      'messaging.message.id': requestId,
      'messaging.message.conversation_id': requestId,
      'http.response.status_code': 200,
    })
    assert.deepEqual(sendA.attributes, {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': `${prefix}.trace-a.requests`,
      'messaging.client.id': `trace-web.${caller.instanceId}`,
      'messaging.message.id': requestId,
      'messaging.message.conversation_id': requestId,
      'messaging.kafka.message.key': 'order-7',
    })
    const { 'messaging.client.id': clientA, 'messaging.kafka.offset': offsetA, ...processAttributes } = processA.attributes
    assert.match(String(clientA), /^trace-a\.[a-z0-9]+$/)
    assert.equal(typeof offsetA, 'number')
    assert.deepEqual(processAttributes, {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': `${prefix}.trace-a.requests`,
      'messaging.consumer.group.name': `${prefix}.trace-a`,
      'messaging.destination.partition.id': '0',
      'messaging.message.id': requestId,
      'messaging.message.conversation_id': requestId,
      'messaging.kafka.message.key': 'order-7',
      'kafka_ipc.kind': 'route',
      'kafka_ipc.caller': 'trace-web',
      'http.request.method': 'POST',
      'url.path': '/quotes/q3',
      'http.route': '/quotes/:id',
      'kafka_ipc.outcome': 'answered',
      'http.response.status_code': 200,
    })
    assert.equal(emit.attributes['messaging.kafka.message.key'], 'n-21')
    assert.equal(emit.attributes['messaging.message.id'], seen.c.at(-1)?.id)
    assert.equal(emit.attributes['messaging.message.conversation_id'], undefined, 'an event opens no conversation')
    assert.equal(processC.attributes['messaging.message.id'], seen.c.at(-1)?.id)
    assert.equal(processC.attributes['messaging.consumer.group.name'], `${prefix}.trace-c.events`)
    assert.equal(processC.attributes['kafka_ipc.kind'], 'event')
    assert.equal(processC.attributes['kafka_ipc.caller'], 'trace-b')
    assert.equal(processC.attributes['kafka_ipc.outcome'], 'handled')
    assert.equal(processB.attributes['messaging.message.id'], seen.b.at(-1)?.id)
  })

  it('an error answer marks the responder’s and the caller’s spans ERROR, with the error’s code and status', async () => {
    exporter.reset()
    await assert.rejects(caller.call(refuse), (error: unknown) => error instanceof RemoteError && error.code === 'OUT_OF_STOCK' && error.status === 409)
    const spans = await until('three finished spans', () => {
      const finished = exporter.getFinishedSpans()
      return finished.length >= 3 ? finished : undefined
    })
    const call = byName(spans, SpanKind.CLIENT, 'trace-a POST /refusals')
    const processed = byName(spans, SpanKind.CONSUMER, `process ${prefix}.trace-a.requests`)
    for (const span of [call, processed]) {
      assert.equal(span.status.code, SpanStatusCode.ERROR, `${span.name} failed`)
      assert.equal(span.attributes['error.type'], 'OUT_OF_STOCK')
      assert.equal(span.attributes['http.response.status_code'], 409)
    }
    assert.equal(processed.attributes['kafka_ipc.outcome'], 'failed')
    assert.equal(processed.events[0]?.name, 'exception', 'the handler’s error is recorded on its span')
    assert.equal(byName(spans, SpanKind.PRODUCER, `send ${prefix}.trace-a.requests`).status.code, SpanStatusCode.UNSET, 'the request itself was sent')
  })

  it('traces fetch() and a mounted app: the CLIENT span is named without the path, the app sees the trace context', async () => {
    exporter.reset()
    const response = await caller.fetch('kafka://trace-d/items/42?full=1', { headers: { 'x-probe': 'mounted-1' } })
    assert.equal(await response.text(), 'served /items/42')
    const spans = await until('three finished spans', () => {
      const finished = exporter.getFinishedSpans()
      return finished.length >= 3 ? finished : undefined
    })
    const call = byName(spans, SpanKind.CLIENT, 'trace-d GET')
    const send = byName(spans, SpanKind.PRODUCER, `send ${prefix}.trace-d.requests`)
    const processed = byName(spans, SpanKind.CONSUMER, `process ${prefix}.trace-d.requests`)
    assertChild(send, call)
    assertChild(processed, send)
    assert.equal(call.attributes['url.path'], '/items/42')
    assert.equal(call.attributes['url.template'], undefined, 'a mounted app declares no route')
    assert.equal(processed.attributes['http.route'], undefined)
    assert.equal(processed.attributes['url.path'], '/items/42')
    assert.equal(processed.attributes['http.response.status_code'], 200)
    assert.deepEqual(seen.mounted.at(-1), { id: 'mounted-1', traceparent: `00-${send.spanContext().traceId}-${send.spanContext().spanId}-01` })
  })
})
