// Benchmark peer: NestJS's Kafka transport (@nestjs/microservices, kafkajs underneath).
//
// One process holds a NestJS microservice (Transport.KAFKA, a controller with
// @MessagePattern('bench.echo') that returns its payload) and a ClientKafka caller. It measures
// request-reply latency at concurrency 1 and throughput at concurrency 64, prints exactly one JSON
// line to stdout and exits 0; every log line goes to stderr. Any failure exits 1 with a message.
//
// Plain ES modules with the decorators applied by hand (what tsc's __decorate does), so there is
// no build step. Env: KAFKA_BROKERS (required, comma-separated host:port), BENCH_REQUESTS (5000),
// BENCH_WARMUP (500), BENCH_THROUGHPUT_REQUESTS (max(BENCH_REQUESTS, 5000)),
// BENCH_NEST_DEFAULTS=1 (library defaults instead of the low-latency settings), BENCH_DEBUG=1
// (kafkajs INFO logs).
import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import { Controller, Logger, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ClientKafka, MessagePattern, Transport } from '@nestjs/microservices'
import kafkajs from 'kafkajs'
import { firstValueFrom, timeout } from 'rxjs'

const { Kafka, Partitioners, logLevel } = kafkajs
const versionOf = (name) => JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
const nestVersion = versionOf('@nestjs/microservices')

const PATTERN = 'bench.echo'
const REPLY_TOPIC = `${PATTERN}.reply`
const REQUEST_PARTITIONS = 6 // as the other systems in bench/request-reply.ts use
const CONCURRENCY = 64
const STALL_MS = 60_000 // a phase with no completed request for this long fails the run

const env = (name, fallback) => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`)
  return value
}
const log = (line) => process.stderr.write(`[nestjs-peer] ${line}\n`)

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean)
const requests = env('BENCH_REQUESTS', 5000)
const warmup = env('BENCH_WARMUP', 500)
const throughputRequests = env('BENCH_THROUGHPUT_REQUESTS', Math.max(requests, 5000))
const defaults = process.env.BENCH_NEST_DEFAULTS === '1'
const kafkaLogLevel = process.env.BENCH_DEBUG === '1' ? logLevel.INFO : logLevel.WARN

/** Nest's logger, sent to stderr (its ConsoleLogger would print 'log' lines to stdout). */
const stderrLogger = {
  log: (message, context) => log(`${context ?? 'Nest'}: ${message}`),
  error: (message, ...rest) => log(`ERROR ${rest.at(-1) ?? 'Nest'}: ${message instanceof Error ? (message.stack ?? message.message) : message}`),
  warn: (message, context) => log(`WARN ${context ?? 'Nest'}: ${message}`),
  debug: () => {},
  verbose: () => {},
}

// --- the NestJS application: one controller, one message pattern -------------------------------
function decorate(decorators, target, key) {
  if (key === undefined) {
    for (const d of [...decorators].reverse()) target = d(target) ?? target
    return target
  }
  let descriptor = Object.getOwnPropertyDescriptor(target, key)
  for (const d of [...decorators].reverse()) descriptor = d(target, key, descriptor) ?? descriptor
  Object.defineProperty(target, key, descriptor)
}

class EchoController {
  echo(data) {
    return data
  }
}
decorate([MessagePattern(PATTERN)], EchoController.prototype, 'echo')
decorate([Controller()], EchoController)

class BenchModule {}
decorate([Module({ controllers: [EchoController] })], BenchModule)

/** The request every system in the bench echoes: about 100 bytes of JSON (as bench/lib/systems.ts). */
const payload = (index) => ({ id: index, from: 'WAW', to: 'JFK', passengers: 2, cabin: 'economy', note: 'x'.repeat(24) })

// --- configuration ------------------------------------------------------------------------------
// Nest hands `client`, `consumer`, `run`, `producer` and `send` straight to kafkajs
// (docs.nestjs.com/microservices/kafka, "Options") and gives no latency advice of its own. The
// one kafkajs setting known to matter for a request-reply round trip is the consumer's
// `maxWaitTimeInMs` (default 5000, how long the broker may hold a fetch): kafkajs issues #370,
// #806 and #1397 report multi-second produce-to-consume lags, on multi-broker clusters, cured by
// lowering it to ~100 ms. Both the microservice and ClientKafka consume (requests and replies),
// so both get it. Everything else stays at the defaults: acks -1, no compression, no
// idempotence; kafkajs has no linger (each send() is its own produce request) and Nest replies
// without waiting for the produce to finish before taking the next message.
const MAX_WAIT_MS = 100
const runId = `bench-nestjs-${process.pid}-${Date.now().toString(36)}`
const clientConfig = { brokers, clientId: runId, logLevel: kafkaLogLevel } // Nest appends -server / -client
const consumerConfig = {
  groupId: runId, // Nest appends -server / -client: fresh consumer groups on every run
  allowAutoTopicCreation: false,
  ...(defaults ? {} : { maxWaitTimeInMs: MAX_WAIT_MS }),
}
const producerConfig = {
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner, // kafkajs 2's default, named to silence its warning
}
const transportOptions = { client: clientConfig, consumer: consumerConfig, producer: producerConfig }

// --- helpers ------------------------------------------------------------------------------------
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Percentile of sorted values (nearest rank), as bench/lib/measure.ts. */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

function summarise(scenario, latencies, elapsedMs) {
  const sorted = [...latencies].sort((a, b) => a - b)
  const round = (value) => Math.round(value * 1000) / 1000
  return {
    scenario,
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1)),
    perSecond: Math.round((sorted.length / elapsedMs) * 1000 * 10) / 10,
  }
}

/** Runs `total` calls in `concurrency` loops; fails if no call completes for STALL_MS. */
async function loops(call, total, concurrency, record) {
  let next = 0
  let lastProgress = performance.now()
  let stallTimer
  const stalled = new Promise((_, reject) => {
    stallTimer = setInterval(() => {
      if (performance.now() - lastProgress > STALL_MS) reject(new Error(`no reply for ${STALL_MS / 1000} s (${next} of ${total} requests started)`))
    }, 1000)
  })
  const loop = async () => {
    for (;;) {
      const index = next++
      if (index >= total) return
      const started = performance.now()
      const reply = await call(index)
      const ended = performance.now()
      lastProgress = ended
      if (reply?.id !== index) throw new Error(`wrong echo for request ${index}: ${JSON.stringify(reply)}`)
      record?.push(ended - started)
    }
  }
  try {
    await Promise.race([Promise.all(Array.from({ length: Math.min(concurrency, total) }, loop)), stalled])
  } finally {
    clearInterval(stallTimer)
  }
}

async function measure(scenario, call, { total, concurrency, warmup: warm }) {
  if (warm > 0) await loops(call, warm, concurrency, undefined)
  const latencies = []
  const began = performance.now()
  await loops(call, total, concurrency, latencies)
  return summarise(scenario, latencies, performance.now() - began)
}

async function ensureTopics() {
  const logCreator = () => ({ label, log: entry }) => log(`kafkajs admin ${label}: ${entry.message}${entry.error ? ` (${entry.error})` : ''}`)
  const admin = new Kafka({ ...clientConfig, clientId: `${runId}-admin`, logCreator }).admin()
  try {
    await admin.connect()
  } catch (error) {
    throw new Error(`cannot reach Kafka at ${brokers.join(',')}: ${error?.cause?.message ?? error?.message}`, { cause: error })
  }
  try {
    const existing = new Set(await admin.listTopics())
    const wanted = [
      { topic: PATTERN, numPartitions: REQUEST_PARTITIONS, replicationFactor: 1 },
      { topic: REPLY_TOPIC, numPartitions: 1, replicationFactor: 1 },
    ].filter(({ topic }) => !existing.has(topic))
    if (wanted.length > 0) {
      try {
        await admin.createTopics({ topics: wanted, waitForLeaders: true })
      } catch (error) {
        // Another run may have created them in between.
        if (!/already exists/i.test(String(error?.message)) && error?.type !== 'TOPIC_ALREADY_EXISTS') throw error
      }
    }
    log(`topics: ${PATTERN} and ${REPLY_TOPIC} ${wanted.length > 0 ? `created (${wanted.map((t) => t.topic).join(', ')})` : 'already present'}`)
  } finally {
    await admin.disconnect()
  }
}

/**
 * ClientKafka.connect() and app.listen() return before the kafkajs consumers have joined their
 * groups and resolved their start offsets (kafkajs runs the consumer loop in the background), so a
 * request sent at once can be skipped by the server or its reply by the client. Probe until one
 * round trip succeeds; each probe gives up after a few seconds and its late reply is ignored.
 */
async function waitUntilReady(client, deadlineMs = 60_000) {
  const began = performance.now()
  for (let attempt = 1; ; attempt++) {
    if (client.getConsumerAssignments()[REPLY_TOPIC] !== undefined) {
      try {
        const reply = await firstValueFrom(client.send(PATTERN, payload(-attempt)).pipe(timeout(3000)))
        if (reply?.id === -attempt) {
          log(`ready after ${Math.round(performance.now() - began)} ms (${attempt} probe(s))`)
          return
        }
      } catch (error) {
        log(`probe ${attempt}: ${error?.name === 'TimeoutError' ? 'no reply yet' : error?.message}`)
      }
    } else await sleep(50)
    if (performance.now() - began > deadlineMs) throw new Error(`the NestJS client and microservice did not complete a round trip within ${deadlineMs / 1000} s`)
  }
}

// --- main ---------------------------------------------------------------------------------------
async function main() {
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set (comma-separated host:port)')
  if (requests < 1) throw new Error('BENCH_REQUESTS must be at least 1')
  Logger.overrideLogger(stderrLogger)
  log(`@nestjs/microservices ${nestVersion}, kafkajs ${versionOf('kafkajs')}, brokers ${brokers.join(',')}, ${defaults ? 'library defaults' : `consumer maxWaitTimeInMs ${consumerConfig.maxWaitTimeInMs}`}`)

  await ensureTopics()

  const app = await NestFactory.createMicroservice(BenchModule, { transport: Transport.KAFKA, options: transportOptions, logger: stderrLogger })
  const client = new ClientKafka(transportOptions)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    const gaveUp = sleep(15_000).then(() => log('closing took over 15 s; exiting anyway'))
    await Promise.race([Promise.allSettled([client.close(), app.close()]), gaveUp])
  }
  try {
    await app.listen()
    client.subscribeToResponseOf(PATTERN)
    await client.connect()
    await waitUntilReady(client)

    const call = (index) => firstValueFrom(client.send(PATTERN, payload(index)))
    const results = []
    log(`latency-c1: ${requests} requests after ${warmup} warm-up…`)
    results.push(await measure('latency-c1', call, { total: requests, concurrency: 1, warmup }))
    log(`latency-c1: ${JSON.stringify(results.at(-1))}`)
    log(`throughput-c${CONCURRENCY}: ${throughputRequests} requests after ${CONCURRENCY * 4} warm-up…`)
    results.push(await measure(`throughput-c${CONCURRENCY}`, call, { total: throughputRequests, concurrency: CONCURRENCY, warmup: CONCURRENCY * 4 }))
    log(`throughput-c${CONCURRENCY}: ${JSON.stringify(results.at(-1))}`)

    await close()
    const line = `${JSON.stringify({ peer: 'nestjs', version: nestVersion, results })}\n`
    await new Promise((resolve, reject) => process.stdout.write(line, (error) => (error ? reject(error) : resolve())))
  } finally {
    await close()
  }
}

try {
  await main()
  process.exit(0)
} catch (error) {
  process.stderr.write(`[nestjs-peer] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
}
