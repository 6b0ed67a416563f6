// `npm run bench`: request-reply latency (concurrency 1) and throughput (64, 256) for kafka-ipc,
// two raw @platformatic/kafka round trips, plain HTTP and — when installed — NestJS's Kafka
// transport (bench/peers/nestjs), FastStream, Python (bench/peers/faststream) and Spring Kafka's
// ReplyingKafkaTemplate, Java (bench/peers/spring-kafka), all in one run on the same broker. The
// peers run as child processes; NestJS and FastStream report latency at concurrency 1 and
// throughput at 64 only, Spring all three scenarios. The naive raw row is the least code that works
// (one send() per message, consumer groups on both sides); the tuned raw row is our limit — what
// the client does with expert code: batched sends and a group-less Fetch loop for replies
// (bench/lib/raw-tuned.ts). kafka-ipc's p50 is compared with the tuned one, and with each peer's
// p50 and req/s. Prints a markdown table and writes it to bench/results/request-reply.md. A
// program, not a test: the figures depend on the machine.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { LocalKafka } from '../src/local-kafka/index.ts'
import { seriesOf } from './lib/latency-file.ts'
import { measure, peakRssMiB, type ScenarioResult } from './lib/measure.ts'
import { startRawTuned } from './lib/raw-tuned.ts'
import { fixed, whole } from './lib/run-env.ts'
import { alternatedRatios, ratiosTable } from './lib/alternated-ratios.ts'
import { startHttp, startKafkaIpc, startRawKafka, type System } from './lib/systems.ts'
import { warmBroker } from './lib/warm-broker.ts'

const requests = Number(process.env['BENCH_REQUESTS'] ?? 5_000)
// Calls each system makes at concurrency 1 before its latency is measured (the peers' programs are
// given the same count). The latency rows are steady-state round trips: kafka-ipc runs more code
// than the raw clients, and V8's helper threads were still compiling it — 115–160 µs of CPU per
// call, competing with the broker for the two cores — through its first ~6,000 calls at concurrency
// 1; after 500 warm-up calls its p50 was measured mid-compilation (docs/performance.md).
const warmup = Number(process.env['BENCH_WARMUP'] ?? 10_000)
const throughputRequests = Number(process.env['BENCH_THROUGHPUT_REQUESTS'] ?? 20_000)
// BENCH_NODES=3 runs the same systems on a local 3-node cluster (RF 3, min ISR 2): where replies
// and requests live on different brokers, as in production.
const nodes = Number(process.env['BENCH_NODES'] ?? 1)
// BENCH_ONLY=kafka-ipc measures kafka-ipc alone (before/after comparisons); BENCH_INSTRUMENTED=1
// adds a kafka-ipc row with a no-op hook at every phase and a subscriber on every diagnostics
// channel, then measures plain kafka-ipc again.
// BENCH_DEDUPE=off runs the kafka-ipc service without its default deduplication store, to price the store (docs/decisions/0010).
// BENCH_ONLY=ratios runs only the alternating rounds of kafka-ipc, the tuned raw pair and that pair carrying the envelope
// (bench/lib/alternated-ratios.ts); BENCH_ROUNDS sets their number (4).
const only = process.env['BENCH_ONLY']
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 4)
const instrumented = process.env['BENCH_INSTRUMENTED'] === '1'
const suffix = nodes === 1 ? '' : `-${nodes}-nodes`
const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

interface Row {
  readonly system: string
  readonly result: ScenarioResult
}

async function run(start: () => Promise<System>): Promise<Row[]> {
  const system = await start()
  const rows: Row[] = []
  try {
    log(`${system.name}: latency at concurrency 1 (${requests} requests after ${warmup} warm-up)…`)
    rows.push({ system: system.name, result: await measure('latency-c1', (i) => system.call(i), { total: requests, concurrency: 1, warmup, keepSamples: true }) })
    for (const concurrency of [64, 256]) {
      log(`${system.name}: throughput at concurrency ${concurrency} (${throughputRequests} requests)…`)
      rows.push({ system: system.name, result: await measure(`throughput-c${concurrency}`, (i) => system.call(i), { total: throughputRequests, concurrency, warmup: concurrency * 4 }) })
    }
  } finally {
    await system.stop()
  }
  return rows
}

/**
 * Runs a peer program (a child process in bench/peers) and turns the JSON it prints last —
 * `{ version, results: ScenarioResult[] }` — into rows named `<label> <version>`.
 */
async function runPeer(label: string, command: string, args: readonly string[], folder: string, brokers: string, env: Readonly<Record<string, string>> = {}): Promise<Row[]> {
  log(`${label}: latency and throughput…`)
  const output = await new Promise<string>((resolve, reject) => {
    execFile(command, [...args], { cwd: folder, env: { ...process.env, KAFKA_BROKERS: brokers, BENCH_REQUESTS: String(requests), BENCH_WARMUP: String(warmup), ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 }, (error, stdout) => {
      if (error === null) resolve(stdout)
      else reject(new Error(`the ${label} peer failed: ${error.message}`, { cause: error }))
    })
  })
  const line = output.trim().split('\n').at(-1) ?? '{}'
  const report = JSON.parse(line) as { version?: string; results: ScenarioResult[] }
  return report.results.map((result) => ({ system: `${label} ${report.version ?? ''}`.trim(), result }))
}

/** NestJS's Kafka transport, run from bench/peers/nestjs when its dependencies are installed. */
function runNest(brokers: string): Promise<Row[] | string> {
  const folder = fileURLToPath(new URL('peers/nestjs/', import.meta.url))
  const program = ['dist/run.js', 'run.js'].map((file) => folder + file).find((file) => existsSync(file))
  if (!existsSync(`${folder}node_modules`) || program === undefined) return Promise.resolve('not installed (see bench/peers/nestjs/README.md)')
  return runPeer('NestJS ClientKafka', process.execPath, [program], folder, brokers)
}

/** FastStream (Python, aiokafka), run from bench/peers/faststream when its virtualenv exists. */
function runFastStream(brokers: string): Promise<Row[] | string> {
  const folder = fileURLToPath(new URL('peers/faststream/', import.meta.url))
  const python = `${folder}.venv/bin/python`
  if (!existsSync(python)) return Promise.resolve('not installed (see bench/peers/faststream/README.md)')
  return runPeer('FastStream', python, ['run.py'], folder, brokers)
}

/** Spring Kafka's ReplyingKafkaTemplate (Java), run from bench/peers/spring-kafka once its jar is built. */
function runSpring(brokers: string): Promise<Row[] | string> {
  const folder = fileURLToPath(new URL('peers/spring-kafka/', import.meta.url))
  const jar = `${folder}target/spring-kafka-peer.jar`
  if (!existsSync(jar)) return Promise.resolve('not installed (see bench/peers/spring-kafka/README.md)')
  // Its throughput rows count what the in-process systems' rows count.
  return runPeer('Spring Kafka ReplyingKafkaTemplate', 'java', ['-jar', jar], folder, brokers, { BENCH_THROUGHPUT_REQUESTS: String(throughputRequests) })
}

const external = process.env['KAFKA_BROKERS']
const kafka = external === undefined || external === '' ? await LocalKafka.start({ log, nodes }) : undefined
const brokers = kafka?.brokers ?? (external ?? '').split(',')
try {
  // A fresh broker is slow for its first seconds; without this the first system measured pays.
  await warmBroker(brokers)
  const everything = only === undefined || only === ''
  if (only === 'ratios') {
    process.stdout.write(ratiosTable(await alternatedRatios(brokers, rounds, log, warmup)))
    process.exit(0)
  }
  const rows = [
    ...(everything ? await run(() => startRawKafka(brokers)) : []),
    ...(everything ? await run(() => startRawTuned(brokers)) : []),
    ...(everything ? await run(() => startRawTuned(brokers, { envelope: 'header-and-json' })) : []),
    ...(await run(() => startKafkaIpc(brokers))),
    // Bracketed by a second plain run: the broker warms up over a run, and the later rows gain from it.
    ...(instrumented ? [...(await run(() => startKafkaIpc(brokers, { instrumented: true }))), ...(await run(() => startKafkaIpc(brokers)))] : []),
    ...(everything ? await run(() => startHttp(256)) : []),
  ]
  const nest = everything ? await runNest(brokers.join(',')) : 'not run (BENCH_ONLY)'
  if (typeof nest !== 'string') rows.push(...nest)
  const faststream = everything ? await runFastStream(brokers.join(',')) : 'not run (BENCH_ONLY)'
  if (typeof faststream !== 'string') rows.push(...faststream)
  const spring = everything ? await runSpring(brokers.join(',')) : 'not run (BENCH_ONLY)'
  if (typeof spring !== 'string') rows.push(...spring)
  // The ratios the throughput targets name, from rounds taken in turns: one row above each is one run.
  const alternated = everything ? ratiosTable(await alternatedRatios(brokers, rounds, log, warmup)) : undefined
  const resultOf = (system: string, scenario: string): ScenarioResult | undefined => rows.find((row) => row.system.startsWith(system) && row.result.scenario === scenario)?.result
  const p50Of = (system: string): number => resultOf(system, 'latency-c1')?.p50 ?? Number.NaN
  const rateOf = (system: string, concurrency: number): number => resultOf(system, `throughput-c${concurrency}`)?.perSecond ?? Number.NaN
  const ipc = p50Of('kafka-ipc')
  // A peer's clause of the summary: its p50 against kafka-ipc's, and kafka-ipc's req/s against its own.
  const versus = (name: string, peer: Row[] | string, concurrencies: readonly number[]): string =>
    typeof peer === 'string'
      ? `; ${name}: ${peer}`
      : `; ${name}'s p50 is ${fixed(p50Of(name) / ipc)}× kafka-ipc's, and kafka-ipc's req/s is ` +
        concurrencies.map((c, i) => `${fixed(rateOf('kafka-ipc', c) / rateOf(name, c))}× ${i === 0 ? `${name}'s at concurrency ${c}` : `at ${c}`}`).join(' and ')
  const table = [
    `Request-reply, ~100-byte JSON, one process per system on ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Kafka ${kafka?.kafkaVersion ?? 'external'} (${kafka === undefined ? 'at $KAFKA_BROKERS' : nodes === 1 ? '1 local node' : `${nodes} local nodes`}). ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| system | scenario | requests | p50 ms | p90 ms | p99 ms | max ms | req/s |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(({ system, result }) => `| ${system} | ${result.scenario} | ${result.count} | ${fixed(result.p50)} | ${fixed(result.p90)} | ${fixed(result.p99)} | ${fixed(result.max)} | ${fixed(result.perSecond, 0)} |`),
    '',
    `kafka-ipc p50 at concurrency 1 is ${fixed(ipc / p50Of('raw @platformatic/kafka, tuned'))}× the tuned raw round trip` +
      versus('NestJS', nest, [64]) +
      versus('FastStream', faststream, [64]) +
      versus('Spring Kafka', spring, [64, 256]) +
      '.',
    `Peak RSS of this bench process (all in-process systems together): ${peakRssMiB().toFixed(0)} MiB.`,
    '',
    ...(alternated === undefined
      ? []
      : [
          `kafka-ipc, the tuned raw round trip, and the tuned raw round trip carrying kafka-ipc's envelope header — alone, and with JSON parsed and stringified on the responder (the floor) — again, all running, in ${rounds} rounds per scenario taken in turns (who goes first rotates; 1,000 requests per round at concurrency 1, 5,000 at 64, 10,000 at 256), after ${whole(warmup)} warm-up calls each at concurrency 1:`,
          '',
          alternated,
        ]),
  ].join('\n')
  process.stdout.write(table)
  // A partial run (BENCH_ONLY, BENCH_INSTRUMENTED) prints its table and leaves the recorded results alone.
  if (everything && !instrumented) {
    await writeFile(new URL(`results/request-reply${suffix}.md`, import.meta.url), table)
    // Latency samples for bench/chart.ts (the peers — NestJS, FastStream, Spring Kafka — report percentiles only).
    await writeFile(new URL(`results/request-reply${suffix}-latency.json`, import.meta.url), `${JSON.stringify({ title: 'Request-reply latency at concurrency 1', note: table.split('\n')[0] ?? '', series: seriesOf(rows) })}\n`)
  }
} finally {
  await kafka?.stop()
}
