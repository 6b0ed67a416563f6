// Prometheus metrics on the probe server's /metrics, on a real broker: a service and a client make
// calls that succeed, fail, time out, answer late, stream, fetch a mounted app, emit events (one
// failing) and send a request that arrives expired; the endpoint is scraped over HTTP and parsed
// with a Prometheus text parser, and names, types, labels and values are checked. Consumer lag is
// built by holding a handler while requests queue behind it. Figures for docs/operations.md are
// printed.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import parsePrometheusTextFormat, { type ParsedFamily, type ParsedMetric } from 'parse-prometheus-text-format'
import { Counter, Registry } from 'prom-client'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { event, route, stream } from '../../../src/core/contracts.ts'
import { isKafkaIpcError, RemoteError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { buildMessage } from '../../../src/core/protocol/envelope.ts'
import { topicNames } from '../../../src/core/protocol/topic-names.ts'
import { Service } from '../../../src/core/service.ts'
import type { Transport } from '../../../src/core/transport.ts'
import { type HealthServer, prometheusMetrics, serveHealth } from '../../../src/operations/index.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'

const quote = route('pricing', 'POST /quotes/:id', { body: z.object({ n: z.number() }), reply: z.object({ price: z.number() }) })
const fail = route('pricing', 'POST /fail')
const slow = route('pricing', 'GET /slow')
const late = route('pricing', 'POST /late')
const gated = route('pricing', 'POST /gated', { body: z.object({ n: z.number() }) })
const search = stream('pricing', 'POST /search', { item: z.object({ n: z.number() }) })
const booked = event('booking.created', { body: z.object({ id: z.string(), bad: z.boolean() }) })

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const brokers = useKafka()

interface Scrape {
  readonly families: ParsedFamily[]
  /**
   * The same text with histograms read as untyped: parse-prometheus-text-format 1.1 folds every
   * label set of a histogram into one sample without labels, so each series' `_bucket`, `_sum` and
   * `_count` samples are read from here, as families of their own.
   */
  readonly samples: ParsedFamily[]
  readonly contentType: string | null
  readonly tookMs: number
}

async function scrape(url: string): Promise<Scrape> {
  const started = performance.now()
  const response = await fetch(url)
  assert.equal(response.status, 200)
  const text = await response.text()
  const tookMs = performance.now() - started
  return { families: parsePrometheusTextFormat(text), samples: parsePrometheusTextFormat(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped')), contentType: response.headers.get('content-type'), tookMs }
}

function family(families: readonly ParsedFamily[], name: string, type: ParsedFamily['type']): ParsedFamily {
  const found = families.find((candidate) => candidate.name === name)
  assert.ok(found !== undefined, `${name} is exported`)
  assert.equal(found.type, type, `${name} is a ${type.toLowerCase()}`)
  assert.ok(found.help.length > 0, `${name} has help`)
  return found
}

const sameLabels = (metric: ParsedMetric, labels: Record<string, string>): boolean => JSON.stringify(Object.entries(metric.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort())

/** The one sample whose labels are exactly `labels`. */
function sample(families: readonly ParsedFamily[], name: string, type: ParsedFamily['type'], labels: Record<string, string>): ParsedMetric {
  const matching = family(families, name, type).metrics.filter((metric) => sameLabels(metric, labels))
  assert.equal(matching.length, 1, `one ${name} sample with ${JSON.stringify(labels)}`)
  const [found] = matching
  assert.ok(found !== undefined)
  return found
}

function value(families: readonly ParsedFamily[], name: string, type: ParsedFamily['type'], labels: Record<string, string>): number {
  return Number(sample(families, name, type, labels).value)
}

/**
 * A histogram series' count and sum, its buckets (`le`) checked cumulative and ending in its count.
 * Read as untyped, a histogram's samples come as a run of `_bucket`, `_sum` and `_count` families
 * per series: they are gathered by name.
 */
function histogram(scraped: Scrape, name: string, labels: Record<string, string>): { count: number; sum: number } {
  family(scraped.families, name, 'HISTOGRAM')
  const untyped = (suffix: string): ParsedFamily => ({ name: `${name}${suffix}`, help: '-', type: 'UNTYPED', metrics: scraped.samples.filter((found) => found.name === `${name}${suffix}`).flatMap((found) => found.metrics) })
  const ordered = untyped('_bucket')
    .metrics.filter(({ labels: { le, ...others } = {} }) => le !== undefined && sameLabels({ labels: others }, labels))
    .map(({ labels: { le } = {}, value: count }) => [le === '+Inf' ? Infinity : Number(le), Number(count)] as const)
    .sort(([a], [b]) => a - b)
  assert.equal(ordered.length, 15, `${name} ${JSON.stringify(labels)}: 14 bounds and +Inf`)
  ordered.forEach(([, count], index) => {
    assert.ok(count >= (ordered[index - 1]?.[1] ?? 0), `${name} buckets are cumulative`)
  })
  const count = value([untyped('_count')], `${name}_count`, 'UNTYPED', labels)
  assert.equal(ordered.at(-1)?.[1], count, '+Inf holds every observation')
  return { count, sum: value([untyped('_sum')], `${name}_sum`, 'UNTYPED', labels) }
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, withinMs = 20_000): Promise<number> {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > withinMs) throw new Error(`timed out waiting until ${what}`)
    await sleep(50)
  }
  return Date.now() - started
}

describe('Prometheus metrics on the probe server', { timeout: 180_000 }, () => {
  let transports: Transport[]
  let service: Service
  let client: Client
  let server: HealthServer
  let prefix: string
  const gate = Promise.withResolvers<undefined>()

  before(async () => {
    prefix = uniqueName('metrics')
    const policy = definePolicy({ prefix, partitions: 2 })
    transports = [kafkaTransport({ brokers: brokers() }), kafkaTransport({ brokers: brokers() }), kafkaTransport({ brokers: brokers() })]
    const [serviceTransport, clientTransport] = transports as [Transport, Transport, Transport]
    service = new Service({ name: 'pricing', policy, transport: serviceTransport, logger: quiet, onError: () => undefined })
    service.handle(quote, (request) => ({ price: request.body.n * 10 }))
    service.handle(fail, () => {
      throw new Error('boom')
    })
    // Ignores its deadline until it passes: handled `timed-out`, nothing sent.
    service.handle(slow, async (_request, context) => {
      await new Promise((resolve) => {
        context.signal.addEventListener('abort', resolve, { once: true })
      })
    })
    // Answers after its caller cancelled: a late answer in the caller's inbox.
    service.handle(late, async () => {
      await sleep(1_000)
    })
    service.handle(gated, async () => {
      await gate.promise
    })
    service.handle(search, async function* () {
      for (let n = 1; n <= 3; n++) yield await Promise.resolve({ n })
    })
    service.on(booked, (received) => {
      if (received.body.bad) throw new Error('bad booking')
    })
    service.mount((request) => new Response(`app saw ${new URL(request.url).pathname}`))
    client = new Client({ name: 'web', policy, transport: clientTransport, logger: quiet, onError: () => undefined })
    server = await serveHealth(service, { port: 0, host: '127.0.0.1', metrics: { sources: [client] } })
    await service.listen()
    await client.ready()
  })

  after(async () => {
    gate.resolve(undefined)
    await server.close()
    await client.close()
    await service.close()
    await Promise.all(transports.map((transport) => transport.close()))
  })

  it('counts requests, events, calls and emits by route and outcome, with latency on both sides, drops by reason, timeouts and late answers', async () => {
    for (let id = 1; id <= 3; id++) assert.deepEqual(await client.call(quote, { params: { id: String(id) }, body: { n: id } }), { price: id * 10 })
    for (let i = 0; i < 2; i++) await assert.rejects(client.call(fail), RemoteError)
    await assert.rejects(client.call(slow, { timeout: 1_500 }), (error) => isKafkaIpcError(error, 'KIPC_TIMEOUT'))
    await assert.rejects(client.call(late, { signal: AbortSignal.timeout(300) }), (error) => isKafkaIpcError(error, 'KIPC_CANCELLED'))
    const items: number[] = []
    for await (const item of client.stream(search)) items.push(item.n)
    assert.deepEqual(items, [1, 2, 3])
    // A mounted app's paths are many; its series are one per method.
    for (const id of ['a1', 'b2', 'c3']) assert.equal(await (await client.fetch(`kafka://pricing/things/${id}`)).text(), `app saw /things/${id}`)
    for (const bad of [false, false, true]) await client.emit(booked, { id: randomUUID(), bad })
    const expired = buildMessage({ topic: topicNames.requests(service.client.policy, 'pricing') }, 'request', { replyTo: client.address, deadline: Date.now() - 1_000, method: quote.method, path: '/quotes/9', service: 'web' }, { n: 9 }, service.client.policy.codec, service.client.policy.maxMessageBytes)
    await (transports[2] as Transport).send([expired])
    await waitFor(() => client.stats().lateAnswers === 1 && service.stats().expired === 1 && service.stats().eventsHandled + service.stats().eventsFailed === 3 && service.stats().deadLettered === 1 && service.stats().running === 0, 'the late answer, the expired request and the events are in, the bad one dead-lettered')
    // Handling is counted as it ends, a moment after its answer went.
    await sleep(200)

    const scraped = await scrape(`${server.url}/metrics`)
    const { families, contentType, tookMs } = scraped
    assert.match(contentType ?? '', /^text\/plain; version=0\.0\.4/)
    const handled = (labels: Record<string, string>): number => value(families, 'kafka_ipc_handled_total', 'COUNTER', { service: 'pricing', ...labels })
    assert.equal(handled({ kind: 'route', route: 'POST /quotes/:id', outcome: 'answered', status: '200' }), 3)
    assert.equal(handled({ kind: 'route', route: 'POST /fail', outcome: 'failed', status: '500' }), 2)
    assert.equal(handled({ kind: 'route', route: 'GET /slow', outcome: 'timed-out' }), 1, 'nothing answered: no status label')
    assert.equal(handled({ kind: 'route', route: 'POST /late', outcome: 'answered', status: '200' }), 1)
    assert.equal(handled({ kind: 'stream', route: 'POST /search', outcome: 'answered', status: '200' }), 1)
    assert.equal(handled({ kind: 'route', route: 'GET (mounted)', outcome: 'answered', status: '200' }), 3)
    assert.equal(handled({ kind: 'event', route: 'booking.created', outcome: 'handled' }), 2)
    assert.equal(handled({ kind: 'event', route: 'booking.created', outcome: 'failed' }), 1)
    const labelValues = families.flatMap((found) => found.metrics.flatMap((metric) => Object.values(metric.labels ?? {})))
    assert.ok(!labelValues.some((label) => label.includes('/things/') || label.includes('/quotes/1')), 'no literal path is a label value')

    const quotes = histogram(scraped, 'kafka_ipc_handle_duration_seconds', { service: 'pricing', kind: 'route', route: 'POST /quotes/:id', outcome: 'answered' })
    assert.equal(quotes.count, 3)
    assert.ok(quotes.sum > 0 && quotes.sum < 3)
    const timedOut = histogram(scraped, 'kafka_ipc_handle_duration_seconds', { service: 'pricing', kind: 'route', route: 'GET /slow', outcome: 'timed-out' })
    assert.ok(timedOut.count === 1 && timedOut.sum > 1, `the handler ran until the deadline (${String(timedOut.sum)} s)`)
    assert.equal(histogram(scraped, 'kafka_ipc_handle_duration_seconds', { service: 'pricing', kind: 'event', route: 'booking.created', outcome: 'failed' }).count, 1)

    const calls = (labels: Record<string, string>): number => value(families, 'kafka_ipc_calls_total', 'COUNTER', { client: 'web', ...labels })
    assert.equal(calls({ kind: 'call', target: 'pricing POST /quotes/:id', outcome: 'ok' }), 3)
    assert.equal(calls({ kind: 'call', target: 'pricing POST /fail', outcome: 'error' }), 2)
    assert.equal(calls({ kind: 'call', target: 'pricing GET /slow', outcome: 'timeout' }), 1)
    assert.equal(calls({ kind: 'call', target: 'pricing POST /late', outcome: 'cancelled' }), 1)
    assert.equal(calls({ kind: 'stream', target: 'pricing POST /search', outcome: 'ok' }), 1)
    assert.equal(calls({ kind: 'call', target: 'pricing GET (fetch)', outcome: 'ok' }), 3)
    const okCalls = histogram(scraped, 'kafka_ipc_call_duration_seconds', { client: 'web', kind: 'call', target: 'pricing POST /quotes/:id', outcome: 'ok' })
    assert.equal(okCalls.count, 3)
    const timeoutCall = histogram(scraped, 'kafka_ipc_call_duration_seconds', { client: 'web', kind: 'call', target: 'pricing GET /slow', outcome: 'timeout' })
    assert.ok(timeoutCall.sum >= 1.45, `a timed-out call lasts its timeout (${String(timeoutCall.sum)} s)`)
    assert.equal(value(families, 'kafka_ipc_emitted_total', 'COUNTER', { client: 'web', event: 'booking.created', outcome: 'ok' }), 3)
    assert.equal(histogram(scraped, 'kafka_ipc_emit_duration_seconds', { client: 'web', event: 'booking.created', outcome: 'ok' }).count, 3)

    const dropped = (reason: string): number => value(families, 'kafka_ipc_dropped_total', 'COUNTER', { service: 'pricing', reason })
    assert.deepEqual(['expired', 'malformed', 'copy', 'reply-target'].map(dropped), [1, 0, 0, 0])
    assert.equal(value(families, 'kafka_ipc_call_timeouts_total', 'COUNTER', { client: 'web' }), 1)
    assert.equal(value(families, 'kafka_ipc_late_answers_total', 'COUNTER', { client: 'web' }), 1)
    assert.equal(value(families, 'kafka_ipc_malformed_answers_total', 'COUNTER', { client: 'web' }), 0)
    assert.equal(value(families, 'kafka_ipc_undeliverable_answers_total', 'COUNTER', { service: 'pricing' }), 0)
    // The bad event ran policy.eventRetries.maxAttempts (5) times, then went to the dead-letter topic.
    assert.equal(value(families, 'kafka_ipc_event_retries_total', 'COUNTER', { service: 'pricing' }), 4)
    assert.equal(value(families, 'kafka_ipc_dead_letters_total', 'COUNTER', { service: 'pricing' }), 1)
    assert.equal(value(families, 'kafka_ipc_calls_in_flight', 'GAUGE', { client: 'web' }), 0)
    assert.equal(value(families, 'kafka_ipc_calls_in_flight', 'GAUGE', { client: 'pricing' }), 0, "the service's own client")
    assert.equal(value(families, 'kafka_ipc_handlers_in_flight', 'GAUGE', { service: 'pricing' }), 0)
    const lags = family(families, 'kafka_ipc_consumer_lag', 'GAUGE').metrics.map(({ labels }) => `${labels?.['group'] ?? ''} ${labels?.['topic'] ?? ''}:${labels?.['partition'] ?? ''}`)
    assert.deepEqual(lags.sort(), [`${prefix}.pricing ${prefix}.pricing.requests:0`, `${prefix}.pricing ${prefix}.pricing.requests:1`, `${prefix}.pricing.events ${prefix}.event.booking.created:0`, `${prefix}.pricing.events ${prefix}.event.booking.created:1`])
    console.log(`[metrics] scrape of ${String(families.length)} families, ${String(families.reduce((sum, found) => sum + found.metrics.length, 0))} series, consumer lag read from the broker: ${tookMs.toFixed(1)} ms`)
  })

  it('shows consumer lag per partition and what is in flight while a handler holds requests, and the lag back at 0 once they are done', async () => {
    const topic = `${prefix}.pricing.requests`
    const lagOf = (families: readonly ParsedFamily[]): number => family(families, 'kafka_ipc_consumer_lag', 'GAUGE').metrics.filter(({ labels }) => labels?.['topic'] === topic).reduce((sum, { value: lag }) => sum + Number(lag), 0)
    await waitFor(async () => lagOf((await scrape(`${server.url}/metrics`)).families) === 0, 'earlier requests are committed')
    // One key: one partition; the first request waits at the gate, the other four behind it.
    const calls = Array.from({ length: 5 }, (_, n) => client.call(gated, { body: { n }, key: 'held', timeout: 60_000 }))
    let held: Scrape | undefined
    const builtMs = await waitFor(async () => {
      held = await scrape(`${server.url}/metrics`)
      // The lag shows as soon as the records are written; the first handler starts once they are fetched.
      return lagOf(held.families) === 5 && value(held.families, 'kafka_ipc_handlers_in_flight', 'GAUGE', { service: 'pricing' }) === 1
    }, 'the five requests show as lag, the first of them running')
    assert.ok(held !== undefined)
    const perPartition = family(held.families, 'kafka_ipc_consumer_lag', 'GAUGE').metrics.filter(({ labels }) => labels?.['topic'] === topic)
    assert.deepEqual(perPartition.map(({ value: lag }) => Number(lag)).sort(), [0, 5], 'all in the partition of their key')
    assert.equal(value(held.families, 'kafka_ipc_handlers_in_flight', 'GAUGE', { service: 'pricing' }), 1, 'one at a time per key')
    assert.equal(value(held.families, 'kafka_ipc_calls_in_flight', 'GAUGE', { client: 'web' }), 5)
    gate.resolve(undefined)
    await Promise.all(calls)
    const drainedMs = await waitFor(async () => lagOf((await scrape(`${server.url}/metrics`)).families) === 0, 'the lag is back at 0')
    console.log(`[metrics] consumer lag 5 on one partition ${String(builtMs)} ms after the calls, scrape ${held.tookMs.toFixed(1)} ms; back at 0 ${String(drainedMs)} ms after the handler was released`)
  })

  it('is off with metrics: false, and goes into the application\'s own registry beside its metrics, with a prefix and a path of its choosing', async () => {
    const off = await serveHealth(service, { port: 0, host: '127.0.0.1', metrics: false })
    try {
      assert.equal((await fetch(`${off.url}/metrics`)).status, 404)
      assert.equal(off.metrics, undefined)
    } finally {
      await off.close()
    }
    const registry = new Registry()
    new Counter({ name: 'shop_orders_total', help: 'Orders taken.', registers: [registry] }).inc(7)
    const own = await serveHealth(service, { port: 0, host: '127.0.0.1', metrics: { registry, prefix: 'shop_kipc_', path: '/prom' } })
    try {
      await client.call(quote, { params: { id: '4' }, body: { n: 4 } })
      // The handling is counted once it ends, just after its answer went: poll for it.
      let families: ParsedFamily[] = []
      await waitFor(async () => {
        families = (await scrape(`${own.url}/prom`)).families
        return families.find((found) => found.name === 'shop_kipc_handled_total')?.metrics.length === 1
      }, 'the call is counted')
      assert.equal(value(families, 'shop_orders_total', 'COUNTER', {}), 7)
      assert.equal(value(families, 'shop_kipc_handled_total', 'COUNTER', { service: 'pricing', kind: 'route', route: 'POST /quotes/:id', outcome: 'answered', status: '200' }), 1)
      assert.ok(!families.some((found) => found.name.startsWith('kafka_ipc_')))
      // A second user of the same registry and prefix shares the metrics; they leave with the last.
      const again = await prometheusMetrics({ registry, prefix: 'shop_kipc_' })
      await own.close()
      assert.ok(registry.getSingleMetric('shop_kipc_handled_total') !== undefined)
      again.close()
      assert.equal(registry.getSingleMetric('shop_kipc_handled_total'), undefined)
      assert.ok(registry.getSingleMetric('shop_orders_total') !== undefined)
    } finally {
      await own.close()
    }
  })
})
