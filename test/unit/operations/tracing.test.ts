// The OpenTelemetry side of the tracing seam, on the memory transport: when it traces at all, what
// streams, gathers, timeouts and cancels make of their spans, and the ways to turn it off or send
// spans elsewhere. The whole path across a real broker is test/integration/operations/tracing.test.ts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, NodeTracerProvider, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { gather, route, stream } from '../../../src/core/contracts.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { createClient, createService } from '../../../src/create.ts'
import { openTelemetryTracing } from '../../../src/operations/index.ts'
import { MemoryBroker } from '../../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const policy = definePolicy({ prefix: 'tr', partitions: 1 })
const echo = route('echo', 'POST /echo', { body: z.object({ n: z.number() }), reply: z.object({ n: z.number(), traceparent: z.string().optional() }) })
const count = stream('echo', 'POST /count', { body: z.object({ upTo: z.number() }), item: z.object({ i: z.number() }) })
const seats = gather('tr.seats', { body: z.object({ flight: z.string() }), reply: z.object({ seats: z.number() }) })
const slow = route('echo', 'GET /slow')

/** A broker with an `echo` service (routes, a stream) and two gather responders, one of which fails. */
async function fleet(tracing?: Parameters<typeof createService>[0]['tracing']) {
  const broker = new MemoryBroker()
  const make = (name: string) => createService({ name, policy, transport: memoryTransport(broker), shutdown: false, logger: quiet, ...(tracing === undefined ? {} : { tracing }) })
  const echoes = make('echo')
    .handle(echo, (request) => ({ n: request.body.n, ...(request.headers['traceparent'] === undefined ? {} : { traceparent: request.headers['traceparent'] }) }))
    .handle(slow, async (_request, context) => {
      await sleep(2_000, undefined, { signal: context.signal }).catch(() => undefined)
    })
    .handle(count, async function* (request, context) {
      for (let i = 0; i < request.body.upTo && !context.signal.aborted; i++) {
        yield { i }
        await sleep(5)
      }
    })
  const good = make('seats-good').handle(seats, () => ({ seats: 3 }))
  const bad = make('seats-bad').handle(seats, () => {
    throw new Error('no inventory')
  })
  await Promise.all([echoes.listen(), good.listen(), bad.listen()])
  const client = createClient({ name: 'web', policy, transport: memoryTransport(broker), logger: quiet, ...(tracing === undefined ? {} : { tracing }) })
  return {
    client,
    close: async () => {
      await client.close()
      await Promise.all([echoes.close(), good.close(), bad.close()])
    },
  }
}

async function finished(exporter: InMemorySpanExporter, count: number): Promise<ReadableSpan[]> {
  for (let tries = 0; tries < 400; tries++) {
    const spans = exporter.getFinishedSpans()
    if (spans.length >= count) return spans
    await sleep(10)
  }
  throw new Error(`expected ${count} spans, got ${exporter.getFinishedSpans().map((span) => span.name).join(', ')}`)
}

function one(spans: readonly ReadableSpan[], kind: SpanKind, name: string, where: (span: ReadableSpan) => boolean = () => true): ReadableSpan {
  const found = spans.filter((span) => span.kind === kind && span.name === name && where(span))
  assert.equal(found.length, 1, `one ${SpanKind[kind]} ${name} among ${spans.map((span) => `${SpanKind[span.kind]} ${span.name}`).join(', ')}`)
  return found[0] as ReadableSpan
}

describe('OpenTelemetry tracing (memory transport)', () => {
  const exporter = new InMemorySpanExporter()
  const own = new InMemorySpanExporter()

  it('is off while no provider is registered, and on for a provider passed as an option', async () => {
    assert.equal(openTelemetryTracing()({ name: 'x', instanceId: 'i' }).enabled(), false)
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(own)] })
    assert.equal(openTelemetryTracing({ tracerProvider: provider })({ name: 'x', instanceId: 'i' }).enabled(), true)
    const { client, close } = await fleet()
    try {
      const reply = await client.call(echo, { body: { n: 1 } })
      assert.deepEqual(reply, { n: 1 }, 'no traceparent was sent')
      assert.equal(own.getFinishedSpans().length, 0)
    } finally {
      await close()
    }
  })

  it('sends spans to the provider passed, not the global one', async () => {
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register()
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(own)] })
    const { client, close } = await fleet({ tracerProvider: provider })
    try {
      await client.call(echo, { body: { n: 2 } })
      const spans = await finished(own, 3)
      assert.deepEqual(spans.map((span) => SpanKind[span.kind]).sort(), ['CLIENT', 'CONSUMER', 'PRODUCER'])
      assert.equal(exporter.getFinishedSpans().length, 0)
    } finally {
      await close()
      own.reset()
    }
  })

  it('is off with tracing: false, even with a provider registered: an application’s traceparent travels as sent', async () => {
    exporter.reset()
    const { client, close } = await fleet(false)
    try {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      assert.deepEqual(await client.call(echo, { body: { n: 3 }, headers: { traceparent } }), { n: 3, traceparent })
      await sleep(20)
      assert.equal(exporter.getFinishedSpans().length, 0)
    } finally {
      await close()
    }
  })

  it('a stream: the CLIENT span lasts until the end marker; a stream left early is no failure on either side', async () => {
    exporter.reset()
    const { client, close } = await fleet()
    try {
      const items: number[] = []
      for await (const item of client.stream(count, { body: { upTo: 3 } })) items.push(item.i)
      assert.deepEqual(items, [0, 1, 2])
      let spans = await finished(exporter, 3)
      const whole = one(spans, SpanKind.CLIENT, 'echo POST /count')
      const served = one(spans, SpanKind.CONSUMER, 'process tr.echo.requests')
      assert.equal(whole.attributes['kafka_ipc.kind'], 'stream')
      assert.equal(whole.attributes['http.response.status_code'], 200)
      assert.equal(served.attributes['kafka_ipc.kind'], 'stream')
      assert.equal(served.attributes['http.route'], '/count')
      assert.equal(served.attributes['kafka_ipc.outcome'], 'answered')

      exporter.reset()
      for await (const item of client.stream(count, { body: { upTo: 1_000 } })) if (item.i === 1) break
      spans = await finished(exporter, 3)
      const left = one(spans, SpanKind.CLIENT, 'echo POST /count')
      const cancelled = one(spans, SpanKind.CONSUMER, 'process tr.echo.requests')
      assert.equal(left.status.code, SpanStatusCode.UNSET)
      assert.equal(cancelled.attributes['kafka_ipc.outcome'], 'cancelled')
      assert.equal(cancelled.status.code, SpanStatusCode.UNSET, 'a cancel is the caller’s choice, not a failure')
    } finally {
      await close()
    }
  })

  it('a gather: one CLIENT span, each responder’s CONSUMER span its grandchild; a responder’s error fails its own span, not the gather’s', async () => {
    exporter.reset()
    const { client, close } = await fleet()
    try {
      const result = await client.gather(seats, { body: { flight: 'LO26' }, expect: 2, timeout: 5_000 })
      assert.equal(result.answers.length, 2)
      const spans = await finished(exporter, 4)
      const asked = one(spans, SpanKind.CLIENT, 'gather tr.seats')
      const sent = one(spans, SpanKind.PRODUCER, 'send tr.gather.tr.seats')
      assert.equal(asked.status.code, SpanStatusCode.UNSET)
      assert.equal(asked.attributes['kafka_ipc.gather'], 'tr.seats')
      assert.equal(asked.attributes['http.response.status_code'], undefined)
      const failed = one(spans, SpanKind.CONSUMER, 'process tr.gather.tr.seats', (span) => span.attributes['messaging.consumer.group.name'] === 'tr.seats-bad')
      const served = one(spans, SpanKind.CONSUMER, 'process tr.gather.tr.seats', (span) => span.attributes['messaging.consumer.group.name'] === 'tr.seats-good')
      for (const span of [failed, served]) {
        assert.equal(span.parentSpanContext?.spanId, sent.spanContext().spanId)
        assert.equal(span.attributes['kafka_ipc.kind'], 'gather')
      }
      assert.equal(served.status.code, SpanStatusCode.UNSET)
      assert.equal(failed.status.code, SpanStatusCode.ERROR)
      assert.equal(failed.attributes['error.type'], 'Error')
      assert.equal(failed.attributes['http.response.status_code'], 500)
    } finally {
      await close()
    }
  })

  it('a call past its deadline: both the CLIENT and the CONSUMER span fail with KIPC_TIMEOUT; its request was sent', async () => {
    exporter.reset()
    const { client, close } = await fleet()
    try {
      await assert.rejects(client.call(slow, { timeout: 100 }), { code: 'KIPC_TIMEOUT' })
      const spans = await finished(exporter, 3)
      const call = one(spans, SpanKind.CLIENT, 'echo GET /slow')
      const served = one(spans, SpanKind.CONSUMER, 'process tr.echo.requests')
      for (const span of [call, served]) {
        assert.equal(span.status.code, SpanStatusCode.ERROR)
        assert.equal(span.attributes['error.type'], 'KIPC_TIMEOUT')
      }
      assert.equal(served.attributes['kafka_ipc.outcome'], 'timed-out')
      assert.equal(one(spans, SpanKind.PRODUCER, 'send tr.echo.requests').status.code, SpanStatusCode.UNSET)
    } finally {
      await close()
    }
  })

  it('a call refused before anything is sent ends its CLIENT span failed, with no PRODUCER span', async () => {
    exporter.reset()
    const { client, close } = await fleet()
    try {
      await assert.rejects(client.call(echo, { body: { n: 4 }, headers: { 'kipc-evil': 'x' } }), { code: 'KIPC_INVALID_ARGUMENT' })
      const spans = await finished(exporter, 1)
      assert.deepEqual(spans.map((span) => span.name), ['echo POST /echo'])
      const [refused] = spans
      assert.equal(refused?.status.code, SpanStatusCode.ERROR)
      assert.equal(refused.attributes['error.type'], 'KIPC_INVALID_ARGUMENT')
    } finally {
      await close()
    }
  })
})
