// Memory under a backlog: N small events (BACKLOG_RECORDS, default 1,000,000, ~200-byte JSON values,
// 1,000 keys, 6 partitions) are produced first, in batches of 2,000 records; then a service that
// subscribes to the event starts alone in a child Node process, works the backlog off with a
// trivial handler (it counts, and checks each key's order), and reports its RSS and heap every
// 250 ms until the last record is handled. One row per run, each in its own consumer group on the
// same backlog: this build with the policy's default `maxBufferedBytes` and with each bound in
// BACKLOG_BOUNDS (bytes, comma-separated; default 2 MiB and 32 MiB), and, when BACKLOG_BASE names
// another checkout (a `git worktree` of a commit before the bound, with node_modules linked), that
// build's service first — the behaviour before. For example:
//   git worktree add /tmp/base <commit> --detach && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   BACKLOG_BASE=/tmp/base node bench/backlog.ts
//   git worktree remove --force /tmp/base Prints a markdown table and writes bench/results/backlog.md and
// backlog.json (the samples). A program, not a test: the figures depend on the machine.
import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildMessage } from '../src/core/protocol/envelope.ts'
import { jsonCodec } from '../src/core/protocol/codec.ts'
import { defaultPolicy, definePolicy } from '../src/core/policy.ts'
import { topicNames } from '../src/core/protocol/topic-names.ts'
import type { OutgoingMessage, Transport } from '../src/core/transport.ts'
import { kafkaTransport } from '../src/transports/kafka/kafka-transport.ts'
import { envNumber, fixed, log, machineLine, markdownTable, whole, withBroker, writeResult } from './lib/run-env.ts'

const eventName = 'bench.backlog'
const partitions = 6
const keys = 1_000
const sampleMs = 250
const mib = 1024 * 1024

/** One RSS and heap reading of the service process. */
interface Sample {
  readonly ms: number
  readonly handled: number
  readonly rssMb: number
  readonly heapMb: number
  /** Memory of Buffers and other objects outside the JavaScript heap. */
  readonly externalMb: number
}

/** What the child reports when the backlog is worked off. */
interface Done {
  readonly stage: 'done'
  readonly handled: number
  readonly outOfOrder: number
  /** From the first record handled to the last. */
  readonly handleMs: number
  readonly rssAtListenMb: number
  /** The most the subscription held, read every 64th record (builds that report it). */
  readonly peakHeld: { readonly records: number; readonly bytes: number } | undefined
  readonly samples: readonly Sample[]
}

interface Row {
  readonly build: string
  readonly bound: string
  readonly done: Done
}

// ——— the service, in a child process ———

/** Runs the subscribing service of the build at `root` until `total` records are handled. */
async function serve(root: string, prefix: string, bound: number | undefined, total: number): Promise<void> {
  const from = (path: string): string => pathToFileURL(`${root}/src/${path}`).href
  // The other build's modules: the same paths at the previous commit.
  /* eslint-disable @typescript-eslint/consistent-type-imports -- the types of this build describe the other build's modules */
  const { Service } = (await import(from('core/service.ts'))) as typeof import('../src/core/service.ts')
  const { event } = (await import(from('core/contracts.ts'))) as typeof import('../src/core/contracts.ts')
  const { typed } = (await import(from('core/schema.ts'))) as typeof import('../src/core/schema.ts')
  const policies = (await import(from('core/policy.ts'))) as typeof import('../src/core/policy.ts')
  const transports = (await import(from('transports/kafka/kafka-transport.ts'))) as typeof import('../src/transports/kafka/kafka-transport.ts')
  /* eslint-enable @typescript-eslint/consistent-type-imports */
  const transport: Transport = transports.kafkaTransport({ brokers: (process.env['KAFKA_BROKERS'] ?? '').split(',') })
  const held: { buffered?: () => { readonly records: number; readonly bytes: number } }[] = []
  // The bound reaches a subscription as a subscribe option; setting it here gives each row its
  // own bound without a policy per process.
  const subscribe = transport.subscribe.bind(transport)
  transport.subscribe = async (options) => {
    const subscription = await subscribe(bound === undefined ? options : { ...options, maxBufferedBytes: bound })
    held.push(subscription)
    return subscription
  }
  const backlog = event(eventName, { body: typed<{ seq: number; key: number; data: string }>() })
  const lastSeq = new Map<number, number>()
  let handled = 0
  let outOfOrder = 0
  let firstAt = 0
  let lastAt = 0
  let peakHeld: { records: number; bytes: number } | undefined
  // Read from the handler, not from a timer: a fetch's records are worked off in one burst of
  // promise callbacks, and a timer runs only between bursts, when nothing is held.
  const readHeld = (): void => {
    for (const subscription of held) {
      const now = subscription.buffered?.()
      if (now === undefined) continue
      peakHeld = { records: Math.max(peakHeld?.records ?? 0, now.records), bytes: Math.max(peakHeld?.bytes ?? 0, now.bytes) }
    }
  }
  const service = new Service({ name: `backlog-${randomUUID().slice(0, 6)}`, policy: policies.definePolicy({ prefix, partitions }), transport, ownsTransport: true }).on(backlog, (received) => {
    const { seq, key } = received.body
    if ((lastSeq.get(key) ?? -1) > seq) outOfOrder++
    lastSeq.set(key, seq)
    lastAt = performance.now()
    if (handled++ === 0) firstAt = lastAt
    if (handled % 64 === 0) readHeld()
  })
  const samples: Sample[] = []
  const startedAt = performance.now()
  const sample = (): void => {
    const { rss, heapUsed, external } = process.memoryUsage()
    samples.push({ ms: Math.round(performance.now() - startedAt), handled, rssMb: rss / mib, heapMb: heapUsed / mib, externalMb: external / mib })
  }
  const timer = setInterval(sample, sampleMs)
  await service.listen()
  const rssAtListenMb = process.memoryUsage().rss / mib
  sample()
  while (handled < total) await new Promise((resolve) => setTimeout(resolve, 50))
  sample()
  clearInterval(timer)
  process.send?.({ stage: 'done', handled, outOfOrder, handleMs: lastAt - firstAt, rssAtListenMb, peakHeld, samples } satisfies Done)
  await service.close()
}

// ——— the producer and the table, in this process ———

/** Produces `total` events of about `valueBytes` each: 2,000 records per send, 4 sends in flight. */
async function produce(transport: Transport, topic: string, total: number, valueBytes: number): Promise<number> {
  const data = 'x'.repeat(Math.max(0, valueBytes - 40))
  const startedAt = performance.now()
  let next = 0
  let reported = 0
  const batch = (): OutgoingMessage[] => {
    const messages: OutgoingMessage[] = []
    for (; next < total && messages.length < 2_000; next++) {
      const key = next % keys
      messages.push(buildMessage({ topic, key: `k${key}` }, 'event', { service: 'bench-producer' }, { seq: next, key, data }, jsonCodec, defaultPolicy.maxMessageBytes))
    }
    return messages
  }
  const lane = async (): Promise<void> => {
    for (let messages = batch(); messages.length > 0; messages = batch()) {
      await transport.send(messages)
      if (next - reported >= 100_000) {
        reported = next
        log(`produced ${whole(next)} of ${whole(total)}`)
      }
    }
  }
  await Promise.all([lane(), lane(), lane(), lane()])
  return total / ((performance.now() - startedAt) / 1_000)
}

/** Runs one row: the service of the build at `root` in a child process, until the backlog is handled. */
async function run(root: string, prefix: string, bound: number | undefined, total: number, brokers: readonly string[]): Promise<Done> {
  const child = fork(fileURLToPath(import.meta.url), ['--service', root, prefix, bound === undefined ? '' : String(bound), String(total)], { env: { ...process.env, KAFKA_BROKERS: brokers.join(',') }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    return await new Promise<Done>((resolve, reject) => {
      child.on('message', (message: Done) => {
        resolve(message)
      })
      child.once('exit', (code) => {
        reject(new Error(`the service process exited before the backlog was handled (code ${String(code)})`))
      })
    })
  } finally {
    if (child.exitCode === null) {
      await new Promise((resolve) => {
        child.once('exit', resolve)
        setTimeout(() => child.kill(), 30_000).unref()
      })
    }
  }
}

/** How late the sampling timer fired at worst: how long the event loop was blocked at a stretch. */
function longestStall(samples: readonly Sample[]): number {
  let longest = 0
  for (let i = 1; i < samples.length; i++) longest = Math.max(longest, (samples[i]?.ms ?? 0) - (samples[i - 1]?.ms ?? 0) - sampleMs)
  return Math.max(0, longest)
}

function table(rows: readonly Row[]): string {
  return markdownTable(
    ['build', 'maxBufferedBytes', 'records', 'records/s', 'RSS at listen MB', 'peak RSS MB', 'peak heap MB', 'peak external MB', 'peak held (records / MB)', 'longest stall ms', 'out of order'],
    [false, false, true, true, true, true, true, true, true, true, true],
    rows.map(({ build, bound, done }) => {
      const peak = (pick: (sample: Sample) => number): number => Math.max(...done.samples.map(pick))
      return [
        build,
        bound,
        whole(done.handled),
        whole(done.handled / (done.handleMs / 1_000)),
        fixed(done.rssAtListenMb, 0),
        fixed(peak((sample) => sample.rssMb), 0),
        fixed(peak((sample) => sample.heapMb), 0),
        fixed(peak((sample) => sample.externalMb), 0),
        done.peakHeld === undefined ? '-' : `${whole(done.peakHeld.records)} / ${fixed(done.peakHeld.bytes / mib, 1)}`,
        whole(longestStall(done.samples)),
        whole(done.outOfOrder),
      ]
    }),
  )
}

if (process.argv[2] === '--service') {
  const [root = '', prefix = '', bound = '', total = '0'] = process.argv.slice(3)
  await serve(root, prefix, bound === '' ? undefined : Number(bound), Number(total))
} else {
  const total = envNumber('BACKLOG_RECORDS', 1_000_000)
  const valueBytes = envNumber('BACKLOG_VALUE_BYTES', 200)
  const bounds = (process.env['BACKLOG_BOUNDS'] ?? `${2 * mib},${32 * mib}`).split(',').filter((bound) => bound !== '').map(Number)
  const base = process.env['BACKLOG_BASE'] ?? ''
  const here = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')
  await withBroker(async ({ brokers, kafkaVersion }) => {
    const policy = definePolicy({ prefix: `bench-backlog-${randomUUID().slice(0, 8)}`, partitions })
    const topic = topicNames.event(policy, eventName)
    const transport = kafkaTransport({ brokers })
    let producedPerSecond: number
    try {
      await transport.ensureTopics([{ name: topic, partitions, replication: -1, retentionMs: policy.retentionMs.events }], true)
      log(`producing ${whole(total)} events of ~${valueBytes} bytes to ${topic}…`)
      producedPerSecond = await produce(transport, topic, total, valueBytes)
    } finally {
      await transport.close()
    }
    const runs: { build: string; root: string; bound: number | undefined; label: string }[] = [
      ...(base === '' ? [] : [{ build: `before (${base})`, root: base, bound: undefined, label: 'none (the client fetches up to 50 MB)' }]),
      { build: 'this build', root: here, bound: undefined, label: `${fixed(defaultPolicy.maxBufferedBytes / mib, 0)} MiB (default)` },
      ...bounds.map((bound) => ({ build: 'this build', root: here, bound, label: `${fixed(bound / mib, bound % mib === 0 ? 0 : 2)} MiB` })),
    ]
    const rows: Row[] = []
    for (const { build, root, bound, label } of runs) {
      log(`${build}, maxBufferedBytes ${label}: a service works off the backlog…`)
      const done = await run(root, policy.prefix, bound, total, brokers)
      rows.push({ build, bound: label, done })
      log(`  ${whole(done.handled / (done.handleMs / 1_000))} records/s, peak RSS ${fixed(Math.max(...done.samples.map((sample) => sample.rssMb)), 0)} MB`)
    }
    const output = [
      `Backlog, ${machineLine(kafkaVersion)}`,
      '',
      `${whole(total)} events (~${valueBytes}-byte JSON values, kafka-ipc envelope headers, ${whole(keys)} keys, ${partitions} partitions) produced first at ${whole(producedPerSecond)}/s; then one service per row, alone in a child process, works them off from the start with a handler that only counts (maxInFlight ${defaultPolicy.maxInFlight}). RSS and heap sampled every ${sampleMs} ms; records/s from the first record handled to the last; held = records the subscription took and has not finished, and their key, value and header bytes; longest stall = how late the sampling timer fired at worst (the event loop blocked, parsing a fetch or collecting garbage).`,
      '',
      table(rows),
      '',
    ].join('\n')
    process.stdout.write(output)
    await writeResult('backlog.md', output)
    await writeResult('backlog.json', `${JSON.stringify({ total, valueBytes, producedPerSecond, rows }, null, 2)}\n`)
  })
}
