// The Prometheus metrics on the memory transport: histograms exported as prom-client's own would
// be, label values bounded whatever paths callers ask for, options checked, a registry shared and
// released, a scrape that does not wait on a broker that does not answer, and prom-client loaded
// only when metrics are asked for.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { Counter, Histogram, Registry } from 'prom-client'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { route } from '../../../src/core/contracts.ts'
import { diagnostics } from '../../../src/core/diagnostics.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { AccumulatedHistogram } from '../../../src/operations/accumulated-metrics.ts'
import { prometheusMetrics } from '../../../src/operations/metrics.ts'
import { MemoryBroker } from '../../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'

const run = promisify(execFile)
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const quote = route('pricing', 'GET /quotes/:id', { reply: z.object({ id: z.string() }) })

/** Sample lines, each with its labels in name order: two expositions compare whatever order they print labels in. */
function samples(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (.+)$/.exec(line)
      assert.ok(match !== null, line)
      const labels = (match[2] ?? '').split(/,(?=\w+=")/).filter((label) => label !== '').sort()
      return `${match[1] ?? ''}{${labels.join(',')}} ${match[3] ?? ''}`
    })
    .sort()
}

/** A service with a typed route and a mounted app, one with a typed route only, and a client, on one memory broker. */
async function pricing(): Promise<{ service: Service; client: Client; close: () => Promise<void> }> {
  const broker = new MemoryBroker()
  const policy = definePolicy({ prefix: `m${String(Math.random()).slice(2, 8)}`, partitions: 2 })
  const service = new Service({ name: 'pricing', policy, transport: memoryTransport(broker), logger: quiet, onError: () => undefined })
  service.handle(quote, (request) => ({ id: request.params.id }))
  service.mount((request) => new Response(new URL(request.url).pathname))
  await service.listen()
  const typedOnly = new Service({ name: 'typed', policy, transport: memoryTransport(broker), logger: quiet, onError: () => undefined })
  typedOnly.handle(route('typed', 'GET /only'), () => undefined)
  await typedOnly.listen()
  const client = new Client({ name: 'web', policy, transport: memoryTransport(broker), logger: quiet })
  return {
    service,
    client,
    close: async () => {
      await client.close()
      await typedOnly.close()
      await service.close()
    },
  }
}

describe('Prometheus metrics', () => {
  it('export a histogram sample for sample as prom-client\'s own Histogram does', async () => {
    const buckets = [0.001, 0.01, 0.1, 1]
    const ours = new Registry()
    const theirs = new Registry()
    const accumulated = new AccumulatedHistogram(ours, 'latency_seconds', 'Latency.', buckets)
    const reference = new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route', 'outcome'], buckets, registers: [theirs] })
    const series = [
      { labels: { route: 'GET /a', outcome: 'ok' }, values: [0.0004, 0.001, 0.05, 0.5, 3] },
      { labels: { route: 'POST /b "quoted"\\', outcome: 'failed' }, values: [0.2] },
    ]
    for (const { labels, values } of series) {
      const observed = accumulated.series(labels)
      for (const seconds of values) {
        observed.observe(seconds)
        reference.observe(labels, seconds)
      }
    }
    const [text, expected] = [await ours.metrics(), await theirs.metrics()]
    assert.deepEqual(samples(text), samples(expected))
    assert.equal(text.split('\n').filter((line) => line.startsWith('#')).join('\n'), expected.split('\n').filter((line) => line.startsWith('#')).join('\n'))
    ours.resetMetrics()
    assert.ok((await ours.metrics()).includes('latency_seconds_count{route="GET /a",outcome="ok"} 0'))
  })

  it('label a mounted app\'s requests and fetch calls by method, never by path, and unrouted requests as such', async () => {
    const { service, client, close } = await pricing()
    const metrics = await prometheusMetrics({ sources: [service, client] })
    try {
      for (let n = 0; n < 50; n++) assert.equal(await (await client.fetch(`kafka://pricing/anything/${String(n)}?q=${String(n)}`)).text(), `/anything/${String(n)}`)
      assert.deepEqual(await client.call(quote, { params: { id: 'Q1' } }), { id: 'Q1' })
      for (let n = 0; n < 5; n++) assert.equal((await client.fetch(`kafka://typed/nowhere/${String(n)}`, { method: 'DELETE' })).status, 404)
      // A request is counted once its handling ends, just after its answer went: the last may still be finishing.
      let text = await metrics.metrics()
      for (let tries = 0; tries < 100 && !text.includes('route="(unmatched)",outcome="failed",status="404"} 5'); tries++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        text = await metrics.metrics()
      }
      const handled = text.split('\n').filter((line) => line.startsWith('kafka_ipc_handled_total{'))
      assert.deepEqual(handled, [
        'kafka_ipc_handled_total{service="pricing",kind="route",route="GET (mounted)",outcome="answered",status="200"} 50',
        'kafka_ipc_handled_total{service="pricing",kind="route",route="GET /quotes/:id",outcome="answered",status="200"} 1',
        'kafka_ipc_handled_total{service="typed",kind="route",route="(unmatched)",outcome="failed",status="404"} 5',
      ])
      const calls = text.split('\n').filter((line) => line.startsWith('kafka_ipc_calls_total{'))
      assert.deepEqual(calls, [
        'kafka_ipc_calls_total{client="web",kind="call",target="pricing GET (fetch)",outcome="ok"} 50',
        'kafka_ipc_calls_total{client="web",kind="call",target="pricing GET /quotes/:id",outcome="ok"} 1',
        'kafka_ipc_calls_total{client="web",kind="call",target="typed DELETE (fetch)",outcome="error"} 5',
      ])
      assert.ok(!text.includes('/anything/') && !text.includes('/nowhere/'))
    } finally {
      metrics.close()
      await close()
    }
  })

  it('refuse a bad prefix, bad buckets, a bad lag timeout and a registry that already has their names', async () => {
    const invalid = (error: unknown): boolean => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT')
    await assert.rejects(prometheusMetrics({ prefix: '9x_' }), invalid)
    await assert.rejects(prometheusMetrics({ buckets: [1, 0.5] }), invalid)
    await assert.rejects(prometheusMetrics({ buckets: [] }), invalid)
    await assert.rejects(prometheusMetrics({ lagTimeoutMs: 0 }), invalid)
    const registry = new Registry()
    new Counter({ name: 'kafka_ipc_calls_total', help: 'Mine.', registers: [registry] })
    await assert.rejects(prometheusMetrics({ registry }), invalid)
    assert.deepEqual(registry.getMetricsAsArray().length, 1, 'those made before the clash are gone again')
    assert.equal(diagnostics.handle.hasSubscribers, false, 'nothing left subscribed by a refused registry')
  })

  it('share one set of metrics per registry and prefix, subscribed while any user holds them', async () => {
    const registry = new Registry()
    assert.equal(diagnostics.call.hasSubscribers, false)
    const first = await prometheusMetrics({ registry })
    const second = await prometheusMetrics({ registry })
    const other = await prometheusMetrics({ registry, prefix: 'other_' })
    assert.equal(diagnostics.call.hasSubscribers, true)
    first.close()
    first.close()
    assert.ok(registry.getSingleMetric('kafka_ipc_calls_total') !== undefined)
    second.close()
    assert.equal(registry.getSingleMetric('kafka_ipc_calls_total'), undefined)
    assert.ok(registry.getSingleMetric('other_calls_total') !== undefined)
    other.close()
    assert.equal(registry.getMetricsAsArray().length, 0)
    assert.equal(diagnostics.call.hasSubscribers, false)
    assert.equal(diagnostics.drop.hasSubscribers, false)
  })

  it('sum the figures of sources with one name, and leave out the lag of a service whose broker does not answer in time', async () => {
    const { service, client, close } = await pricing()
    const twin = new Client({ name: 'web', transport: memoryTransport(new MemoryBroker()), logger: quiet })
    const metrics = await prometheusMetrics({ sources: [service], lagTimeoutMs: 100 }).then((made) => made.watch(client).watch(twin))
    try {
      service.lag = () => new Promise(() => undefined)
      const started = performance.now()
      const text = await metrics.metrics()
      const tookMs = performance.now() - started
      assert.ok(tookMs < 2_000, `the scrape waited ${tookMs.toFixed(0)} ms`)
      assert.ok(!text.includes('kafka_ipc_consumer_lag{'), 'no lag series')
      assert.ok(text.includes('# TYPE kafka_ipc_consumer_lag gauge'))
      assert.ok(text.includes('kafka_ipc_calls_in_flight{client="web"} 0'))
      assert.equal(text.split('\n').filter((line) => line.startsWith('kafka_ipc_late_answers_total{client="web"}')).length, 1, 'one series for both clients named web')
    } finally {
      metrics.close()
      await twin.close()
      await close()
    }
  })

  it('load prom-client only when metrics are asked for, never with import \'kafka-ipc\'', async () => {
    const script = `
      import { createRequire } from 'node:module'
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('/prom-client/'))
      const kafkaIpc = await import(${JSON.stringify(new URL('../../../src/index.ts', import.meta.url).href)})
      const before = loaded()
      const metrics = await kafkaIpc.prometheusMetrics()
      console.log(JSON.stringify({ before, after: loaded() }))
      metrics.close()
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script])
    assert.deepEqual(JSON.parse(stdout), { before: false, after: true })
  })
})
