// Start-up and memory of one kafka-ipc service. Over 5 runs, each on a fresh policy prefix: the
// time from `new Service(...)` to `listen()` resolving (and to every partition assigned), and the
// latency of a fresh client's first request (`createClient` + first `call`). Then the peak RSS of
// one responder alone in a child Node process (the built package, plain JavaScript) while this
// process calls it 20,000 times at concurrency 64 — memory per service — beside a node:http
// server under the same load; then at concurrency 256 beside the tuned raw client's responder. The broker is warmed
// first (bench/lib/warm-broker.ts). Prints a markdown table and writes it to
// bench/results/startup.md. A program, not a test.
import { percentile } from './lib/measure.ts'
import { envNumber, fixed, log, machineLine, markdownTable, whole, withBroker, writeResult } from './lib/run-env.ts'
import type { LoadReport } from './lib/load-report.ts'
import { measureResponderMemory } from './lib/memory-load.ts'
import { type StartupRun, timeStartup } from './lib/startup-runs.ts'
import { warmBroker } from './lib/warm-broker.ts'

const runs = envNumber('BENCH_RUNS', 5)
const calls = envNumber('BENCH_LOAD_CALLS', 20_000)
const concurrency = envNumber('BENCH_LOAD_CONCURRENCY', 64)
// The throughput bench's heaviest load: one responder's memory there, beside the raw client's.
const heavyConcurrency = envNumber('BENCH_HEAVY_CONCURRENCY', 256)
const partitions = 6
const mib = (bytes: number): string => fixed(bytes / 2 ** 20, 0)
const serviceNodeFlags = ['--no-allocation-site-pretenuring', '--max-semi-space-size=4']

function startupTable(results: readonly StartupRun[]): string {
  const row = (what: string, pick: (run: StartupRun) => number): string[] => {
    const values = results.map(pick)
    const sorted = [...values].sort((a, b) => a - b)
    return [what, fixed(percentile(sorted, 50), 1), fixed(sorted[0] ?? Number.NaN, 1), fixed(sorted.at(-1) ?? Number.NaN, 1), values.map((value) => fixed(value, 0)).join(', ')]
  }
  return markdownTable(
    ['start-up', 'p50 ms', 'min ms', 'max ms', 'runs in order, ms'],
    [false, true, true, true, false],
    [
      row('`new Service()` + `handle()` + `listen()` resolved', (run) => run.listenMs),
      row('… and every partition assigned to it', (run) => run.assignedMs),
      row('fresh client: `createClient()` + first `call()`', (run) => run.firstCallMs),
      row('the same client’s second `call()`', (run) => run.secondCallMs),
    ],
  )
}

function memoryTable(reports: readonly LoadReport[]): string {
  return markdownTable(
    ['responder, alone in a child process', 'calls', 'req/s', 'RSS of Node at start MiB', 'after imports MiB', 'listening, idle MiB', 'peak RSS under load MiB', 'responder CPU µs per call', 'KB kept per young collection', 'young generation MiB'],
    [false, true, true, true, true, true, true, true, true, true],
    reports.map((report) => [report.system, whole(report.calls), whole(report.perSecond), mib(report.rssAtStart), mib(report.rssAfterImports), mib(report.rssIdle), mib(report.maxRss), fixed(report.cpuMicrosPerCall, 1), whole(report.keptPerScavenge / 1024), mib(report.youngGeneration)]),
  )
}

await withBroker(async ({ brokers, kafkaVersion }) => {
  await warmBroker(brokers)
  const results: StartupRun[] = []
  for (let run = 1; run <= runs; run++) {
    log(`start-up run ${run} of ${runs}…`)
    results.push(await timeStartup(brokers, partitions))
  }
  const reports = [
    await measureResponderMemory('kafka-ipc', brokers, calls, concurrency),
    // The runtime settings performance.md suggests for services: fewer, shorter GC pauses and a
    // smaller young generation.
    await measureResponderMemory('kafka-ipc', brokers, calls, concurrency, serviceNodeFlags),
    await measureResponderMemory('http', brokers, calls, concurrency),
  ]
  const heavy = [
    await measureResponderMemory('kafka-ipc', brokers, calls, heavyConcurrency),
    await measureResponderMemory('kafka-ipc', brokers, calls, heavyConcurrency, serviceNodeFlags),
    await measureResponderMemory('raw', brokers, calls, heavyConcurrency),
  ]
  const rawPeak = heavy[2]?.maxRss ?? Number.NaN
  const output = [
    `Start-up and memory of one service, ${machineLine(kafkaVersion)}`,
    '',
    `Start-up: ${runs} runs in one process, one after another, each on a fresh policy prefix (${partitions}-partition request topic and inbox created, new consumer group) with fresh transports, after a broker warm-up that also loaded and exercised kafka-ipc in this process — so module loading is not included; a new process adds it (see the memory table's child processes).`,
    '',
    startupTable(results),
    '',
    `Memory: one responder alone in a child Node process — a kafka-ipc Service with a zod-validated echo route (the built package, plain JavaScript, as services run in production), or a node:http echo server — answering ${whole(calls)} calls of ~100-byte JSON at concurrency ${concurrency} from the bench process; peak RSS is the child's \`process.resourceUsage().maxRSS\`; *KB kept per young collection* is the median of what survived each scavenge under the load (left young or promoted) and *young generation* the largest V8 made its new space — it grows once what survived since it last grew exceeds its size, which is what moves the peak (\`v8.GCProfiler\` in the child).`,
    '',
    memoryTable(reports),
    '',
    `Under the request-reply bench's heaviest load — ${whole(calls)} calls at concurrency ${heavyConcurrency} — beside the tuned raw @platformatic/kafka responder (bench/lib/raw-responder.js: a consumer group and an idempotent producer echoing each request's bytes, no envelope, no validation), alone in the same kind of child process:`,
    '',
    memoryTable(heavy),
    '',
    `Peak RSS of the kafka-ipc responder: ${fixed((heavy[0]?.maxRss ?? Number.NaN) / rawPeak)}× the raw responder's (${fixed((heavy[1]?.maxRss ?? Number.NaN) / rawPeak)}× with the runtime settings); kept per young collection ${fixed((heavy[0]?.keptPerScavenge ?? Number.NaN) / (heavy[2]?.keptPerScavenge ?? Number.NaN))}× the raw responder's.`,
    '',
  ].join('\n')
  process.stdout.write(output)
  await writeResult('startup.md', output)
})
