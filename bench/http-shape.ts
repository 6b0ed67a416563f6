// `npm run bench:http`: what the HTTP shape costs, in one run on one broker. The same ~100-byte JSON
// echo, answered by a typed route and by a Hono app, is called:
//   - over Kafka with call() (the body only), request() (status, headers, body) and client.fetch()
//     — to the typed route and to the mounted Hono app;
//   - over HTTP with Node's own fetch, straight to the Hono app on a port;
//   - over HTTP through the gateway (HTTP → Kafka → the typed route → HTTP).
// Latency at concurrency 1 and throughput at 64. The ways take turns, in several rounds, so that a
// drift of the shared machine during the run does not favour whichever way ran first. The table's
// last column is each row's p50 against its baseline: call() for the rows over Kafka, Node's fetch
// to the app for the gateway. Prints a markdown table and writes it to bench/results/http-shape.md.
// A program, not a test.
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { Client } from '../src/core/client.ts'
import { definePolicy } from '../src/core/policy.ts'
import { Service } from '../src/core/service.ts'
import { createGateway } from '../src/http/gateway/index.ts'
import { LocalKafka } from '../src/local-kafka/index.ts'
import { kafkaTransport } from '../src/transports/kafka/kafka-transport.ts'
import { measure, percentile, type ScenarioResult } from './lib/measure.ts'
import { echo, payload } from './lib/systems.ts'
import { warmBroker } from './lib/warm-broker.ts'

const requests = Number(process.env['BENCH_REQUESTS'] ?? 3_000)
const warmup = Number(process.env['BENCH_WARMUP'] ?? 500)
const throughputRequests = Number(process.env['BENCH_THROUGHPUT_REQUESTS'] ?? 10_000)
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 4)
const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

interface Way {
  readonly name: string
  /** The row whose p50 this one is compared with. */
  readonly baseline: string
  readonly call: (index: number) => Promise<unknown>
}

interface Row {
  readonly way: Way
  readonly result: ScenarioResult
}

/** The echo as a Hono app: what an HTTP service looks like today. */
function honoEcho(): (request: Request) => Response | Promise<Response> {
  const app = new Hono()
  app.post('/echo', async (c) => c.json(await c.req.json<unknown>()))
  return app.fetch
}

/** A node:http server for a fetch handler, through Hono's own adapter. */
function serve(handler: (request: Request) => Response | Promise<Response>): Server {
  const listener = getRequestListener(handler, { overrideGlobalObjects: false })
  return createServer((request, response) => {
    void listener(request, response)
  })
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
}

const jsonInit = (index: number): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload(index)) })

async function main(): Promise<void> {
  const fromEnv = process.env['KAFKA_BROKERS']
  const kafka = fromEnv === undefined || fromEnv === '' ? await LocalKafka.start() : undefined
  const brokers = kafka?.brokers ?? (fromEnv ?? '').split(',')
  const policy = definePolicy({ prefix: `bench-http-${randomUUID().slice(0, 8)}`, partitions: 6 })
  const typed = new Service({ name: 'bench', policy, transport: kafkaTransport({ brokers }), ownsTransport: true }).handle(echo, (request) => request.body)
  const mounted = new Service({ name: 'benchapp', policy, transport: kafkaTransport({ brokers }), ownsTransport: true }).mount(honoEcho())
  const client = new Client({ name: 'bench-caller', policy, transport: kafkaTransport({ brokers }), ownsTransport: true })
  const gatewayClient = new Client({ name: 'bench-gateway', policy, transport: kafkaTransport({ brokers }), ownsTransport: true })
  const appServer = serve(honoEcho())
  const gateway = createGateway({ client: gatewayClient, expose: { bench: ['POST /echo'] } })
  const gatewayServer = serve(gateway)
  try {
    await warmBroker(brokers)
    await Promise.all([typed.listen(), mounted.listen(), client.ready(), gatewayClient.ready()])
    const [appUrl, gatewayUrl] = await Promise.all([listen(appServer), listen(gatewayServer)])
    const ways: Way[] = [
      { name: 'call() → typed route', baseline: 'call() → typed route', call: (index) => client.call(echo, { body: payload(index) }) },
      { name: 'request() → typed route', baseline: 'call() → typed route', call: (index) => client.request(echo, { body: payload(index) }) },
      { name: 'client.fetch() → typed route', baseline: 'call() → typed route', call: async (index) => (await client.fetch('kafka://bench/echo', jsonInit(index))).json() },
      { name: 'client.fetch() → mounted Hono app', baseline: 'call() → typed route', call: async (index) => (await client.fetch('kafka://benchapp/echo', jsonInit(index))).json() },
      { name: "Node's fetch → the Hono app over HTTP", baseline: "Node's fetch → the Hono app over HTTP", call: async (index) => (await fetch(`${appUrl}/echo`, jsonInit(index))).json() },
      { name: "Node's fetch → gateway → Kafka → typed route", baseline: "Node's fetch → the Hono app over HTTP", call: async (index) => (await fetch(`${gatewayUrl}/bench/echo`, jsonInit(index))).json() },
    ]
    const rows: Row[] = []
    for (const [scenario, total, concurrency, warm] of [
      ['latency-c1', requests, 1, warmup],
      ['throughput-c64', throughputRequests, 64, 256],
    ] as const) {
      const parts = new Map<Way, ScenarioResult[]>(ways.map((way) => [way, []]))
      for (let round = 1; round <= rounds; round++) {
        for (const way of ways) {
          log(`${way.name}: ${scenario}, round ${round} of ${rounds} (${Math.ceil(total / rounds)} requests)…`)
          parts.get(way)?.push(await measure(scenario, way.call, { total: Math.ceil(total / rounds), concurrency, warmup: round === 1 ? warm : concurrency * 4, keepSamples: true }))
        }
      }
      for (const way of ways) rows.push({ way, result: merge(scenario, parts.get(way) ?? []) })
    }
    const table = render(rows, brokers.length)
    process.stdout.write(table)
    await writeFile(new URL('results/http-shape.md', import.meta.url), table)
  } finally {
    appServer.close()
    gatewayServer.close()
    await Promise.all([client.close(), gatewayClient.close()])
    await Promise.all([typed.close(), mounted.close()])
    await kafka?.stop()
  }
}

/** The rounds of one way as one result: percentiles over all their samples, throughput over all their time. */
function merge(scenario: string, parts: readonly ScenarioResult[]): ScenarioResult {
  const samples = parts.flatMap((part) => part.samples ?? []).sort((a, b) => a - b)
  const elapsedMs = parts.reduce((sum, part) => sum + (part.count / part.perSecond) * 1000, 0)
  return { scenario, count: samples.length, p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), max: samples.at(-1) ?? Number.NaN, perSecond: (samples.length / elapsedMs) * 1000 }
}

function render(rows: readonly Row[], brokerCount: number): string {
  const p50Of = (name: string, scenario: string): number => rows.find((row) => row.way.name === name && row.result.scenario === scenario)?.result.p50 ?? Number.NaN
  const lines = [
    `HTTP shape over Kafka — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${brokerCount} broker(s); ${requests} requests at concurrency 1, ${throughputRequests} at 64, each way in ${rounds} rounds taken in turns.`,
    '',
    '| way | scenario | p50 ms | p90 ms | p99 ms | req/s | p50 vs baseline |',
    '|---|---|---:|---:|---:|---:|---:|',
  ]
  for (const { way, result } of rows) {
    const base = p50Of(way.baseline, result.scenario)
    const versus = way.baseline === way.name ? 'baseline' : `${result.p50 >= base ? '+' : ''}${(((result.p50 - base) / base) * 100).toFixed(1)}%`
    lines.push(`| ${way.name} | ${result.scenario} | ${result.p50.toFixed(2)} | ${result.p90.toFixed(2)} | ${result.p99.toFixed(2)} | ${Math.round(result.perSecond).toLocaleString('en-US')} | ${versus} |`)
  }
  return `${lines.join('\n')}\n`
}

await main()
