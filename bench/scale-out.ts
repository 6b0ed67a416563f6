// `node bench/scale-out.ts`: does a kafka-ipc service scale out by adding instances, and what do
// per-instance inboxes cost the brokers? On a local 3-node cluster (RF 3, min ISR 2, as the fault
// tests: every produce is replicated, as in production) one service — the echo route of
// bench/lib/systems.ts, its requests topic with 12 partitions so 1, 2 and 4 instances hold 12, 6
// and 3 each — runs as 1, 2 and 4 responder processes in one consumer group, loaded by 2 caller
// processes keeping 128 calls in flight each. Every instance is its own OS process. Per responder
// count: req/s and latency, where the machine's CPU went, the Kafka requests sent per 1,000 calls,
// and what idle instances send per second. Then it creates 100 and 1,000 inbox topics as instances
// create theirs and reads what the brokers pay for them. Prints markdown tables and writes
// bench/results/scale-out.md. A program, not a test: the figures depend on the machine — and on a
// 2-core machine, where brokers, responders and callers share two cores, more responder processes
// cannot add CPU; the tables say where it went (docs/scaling.md reads them).
// Settings: BENCH_RESPONDERS (1,2,4), BENCH_CALLERS (2), BENCH_CONCURRENCY (128 per caller),
// BENCH_PARTITIONS (12), BENCH_SECONDS (20, measured per run), BENCH_WARMUP_SECONDS (5),
// BENCH_IDLE_SECONDS (5), BENCH_INBOXES (100,1000), BENCH_INBOX_CONCURRENCY (10).
import { cpus, loadavg, totalmem } from 'node:os'
import { LocalKafka } from '../src/local-kafka/index.ts'
import { kafkaTransport } from '../src/transports/kafka/kafka-transport.ts'
import { envNumber, log, writeResult } from './lib/run-env.ts'
import { measureInboxTopics } from './lib/scale-inboxes.ts'
import { runScale, type RunResult } from './lib/scale-run.ts'
import { costTable, idleTable, inboxTable, throughputTable } from './lib/scale-tables.ts'
import { warmBroker } from './lib/warm-broker.ts'

/** A comma-separated list of positive integers from the environment. */
function envList(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return [...fallback]
  const values = raw.split(',').map(Number)
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) throw new Error(`${name} must be a comma-separated list of positive integers, got ${JSON.stringify(raw)}.`)
  return values
}

const responderCounts = envList('BENCH_RESPONDERS', [1, 2, 4])
const callers = envNumber('BENCH_CALLERS', 2)
const concurrency = envNumber('BENCH_CONCURRENCY', 128)
const partitions = envNumber('BENCH_PARTITIONS', 12)
const measureMs = envNumber('BENCH_SECONDS', 20) * 1000
const warmupMs = envNumber('BENCH_WARMUP_SECONDS', 5) * 1000
const idleMs = envNumber('BENCH_IDLE_SECONDS', 5) * 1000
const inboxSizes = envList('BENCH_INBOXES', [100, 1_000])
const inboxConcurrency = envNumber('BENCH_INBOX_CONCURRENCY', 10)

const began = performance.now()
const load = loadavg().map((value) => value.toFixed(2)).join(', ')
const kafka = await LocalKafka.start({ nodes: 3, log })
const admin = kafkaTransport({ brokers: kafka.brokers })
try {
  // A fresh broker is several times slower for its first seconds; the first run would pay for it.
  await warmBroker(kafka.brokers)
  const brokerPids = (await kafka.status()).flatMap((node) => (node.pid === undefined ? [] : [node.pid]))
  const runs: RunResult[] = []
  for (const responders of responderCounts) {
    log(`— ${responders} responder process(es), ${callers} caller process(es) × ${concurrency} in flight —`)
    const run = await runScale({ responders, callers, concurrency, partitions, idleMs, warmupMs, measureMs, brokers: kafka.brokers, brokerPids, admin, log })
    log(`${responders} responder(s): ${Math.round(run.perSecond)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms`)
    runs.push(run)
  }
  const inboxSteps = await measureInboxTopics(kafka, admin, { sizes: inboxSizes, concurrency: inboxConcurrency, log })

  const cores = cpus().length
  const largest = Math.max(...responderCounts)
  const text = [
    '# Scale-out and the cost of inboxes',
    '',
    `${cores} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Kafka ${kafka.kafkaVersion} (3 local nodes, replication 3, min ISR 2). ${new Date().toISOString().slice(0, 10)}. Load average when the bench started: ${load}; the machine is shared, and "other jobs" below is the share of the measured window that was neither Kafka nor this bench's processes.`,
    '',
    `## Request-reply throughput by responder processes`,
    '',
    `One service (echo route, ~100-byte JSON, zod-validated), its requests topic with ${partitions} partitions; responders are separate processes in one consumer group; ${callers} caller processes keep ${concurrency} calls in flight each (${callers * concurrency} in all). Each row: ${warmupMs / 1000} s warm-up, then ${measureMs / 1000} s measured.`,
    '',
    throughputTable(runs),
    '',
    `**This machine has ${cores} cores.** With ${largest} responders, ${largest + callers + 3} busy processes (3 broker JVMs, ${largest} responders, ${callers} callers) share them: a responder added here takes CPU from the brokers and the callers instead of adding CPU. These rows show the overhead of more instances on a fixed CPU budget, not what more machines would give.`,
    '',
    '### Where the CPU went, and what the brokers were asked',
    '',
    `Cores used on average over the measured window (from /proc: the broker JVMs and the whole machine; from process.cpuUsage(): the Node processes; "other jobs" = machine busy − brokers − responders − callers − this bench's parent process). Kafka requests counted where @platformatic/kafka sends them (its diagnostics channel), per 1,000 answered calls; followers' replication fetches are not counted.`,
    '',
    costTable(runs),
    '',
    '### Idle instances',
    '',
    `Kafka requests per second one instance sends with nothing to do (the ${idleMs / 1000} s before the warm-up, averaged over the instances of the run).`,
    '',
    idleTable(runs),
    '',
    '## What inbox topics cost the brokers',
    '',
    `Inbox topics as instances create theirs (1 partition, replication 3, retention 10 min, LogAppendTime; the transport's ensureTopics: look the topic up by name, create, wait for the leader), ${inboxConcurrency} at a time. Metadata: one request for all topics, written by hand to node 1, median of 5. A sweep: what each instance of a fleet of up to ten does every ~5 min (a fleet of up to 240 makes ~10 in all per 5 min, a larger one N / 24). RSS read after a 2 s pause; the JVMs (-Xmx512m) return little memory once taken.`,
    '',
    inboxTable(inboxSteps),
    '',
    `Whole bench: ${((performance.now() - began) / 1000).toFixed(0)} s.`,
    '',
  ].join('\n')
  process.stdout.write(text)
  await writeResult('scale-out.md', text)
} finally {
  await admin.close()
  await kafka.stop()
}
