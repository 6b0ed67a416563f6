// kafka-ipc's own CPU per event and per call, without a broker, on the broker benches' contracts
// and payloads (a ~1 KiB event, a ~100-byte echo): a Client and a Service in this
// process on a loopback transport (bench/lib/loopback-transport.ts) that encodes, copies and
// decodes each record as the Kafka transport does, leaving out only the client library and the
// broker — which the raw references pay as well. Beside each figure, in the same run, the JSON work
// a raw client does for the same messages (stringify to bytes, bytes to a string, parse): what is
// left is what the layer adds. Rounds alternate between the default service and one with
// `deduplication: false`, to price the default store. Medians over BENCH_OWN_ROUNDS (9) rounds of
// BENCH_OWN_MESSAGES (20,000). On a broker the same work competes with the broker and the client
// library for the cores; here it is measured alone, so a change of a few per cent shows, where the
// broker benches' spread between runs hides it (docs/performance.md). Prints a markdown table and
// writes it to bench/results/own-cost.md. A program, not a test.
import { Client } from '../src/core/client.ts'
import { definePolicy } from '../src/core/policy.ts'
import { Service } from '../src/core/service.ts'
import { eventBody } from './lib/events.ts'
import { bulkEvent } from './lib/ipc-events.ts'
import { LoopbackTransport } from './lib/loopback-transport.ts'
import { envNumber, fixed, log, markdownTable, writeResult } from './lib/run-env.ts'
import { echo, payload } from './lib/systems.ts'
import { cpus, totalmem } from 'node:os'

const rounds = envNumber('BENCH_OWN_ROUNDS', 9)
const messages = envNumber('BENCH_OWN_MESSAGES', 20_000)
const inFlight = 1_000

/** CPU µs per message of one round, and the part spent handing records to consumers. */
interface Cost {
  readonly cpu: number
  readonly delivery: number
}

/** A service and client on one loopback transport, and a round of its work. */
interface Pair {
  round(first: number): Promise<Cost>
  close(): Promise<void>
}

async function pair(kind: 'events' | 'calls', concurrency: number, withStore: boolean): Promise<Pair> {
  const transport = new LoopbackTransport()
  const policy = definePolicy({ prefix: 'own', partitions: 6 })
  const service = new Service({ name: 'bench', policy, transport, ...(withStore ? {} : { deduplication: false }) })
  let handled = 0
  if (kind === 'events') {
    service.on(bulkEvent, () => {
      handled++
    })
  } else {
    service.handle(echo, (request) => request.body)
  }
  await service.listen()
  const client = new Client({ name: 'bench-caller', policy, transport })
  await client.ready()
  const send = kind === 'events' ? (index: number) => client.emit(bulkEvent, eventBody(index)) : (index: number) => client.call(echo, { body: payload(index) })
  return {
    async round(first) {
      const target = handled + messages
      transport.resetClock()
      const started = process.cpuUsage()
      let next = first
      const end = first + messages
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < end) await send(next++)
        }),
      )
      // Events are acknowledged when sent: the round ends when the last one was handled.
      while (kind === 'events' && handled < target) await new Promise((resolve) => setImmediate(resolve))
      const used = process.cpuUsage(started)
      // The loopback's stand-in for the client library and the network is not kafka-ipc's work.
      return { cpu: (used.user + used.system - Number(transport.standInNs) / 1_000) / messages, delivery: Number(transport.deliveryNs) / 1_000 / messages }
    },
    async close() {
      await client.close()
      await service.close()
    },
  }
}

/** The same messages through JSON alone, as the raw references handle them: CPU µs per message. */
function jsonOnly(kind: 'events' | 'calls', first: number): number {
  const started = process.cpuUsage()
  const parsed = kind === 'events' ? jsonRoundTrips(eventBody, first, 1) : jsonRoundTrips(payload, first, 2)
  const used = process.cpuUsage(started)
  if (parsed === 0) throw new Error('nothing parsed')
  return (used.user + used.system) / messages
}

/** Each body written as bytes and read back `legs` times (a call carries its body there and back); the copy a fetch makes is left out on both sides. */
function jsonRoundTrips(body: (index: number) => object, first: number, legs: number): number {
  let parsed = 0
  for (let index = first; index < first + messages; index++) {
    const value = body(index)
    for (let leg = 0; leg < legs; leg++) if (JSON.parse(Buffer.from(JSON.stringify(value)).toString()) !== null) parsed++
  }
  return parsed
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN

const scenarios = [
  { name: `events, ${String(inFlight)} emits in flight`, kind: 'events', concurrency: inFlight },
  { name: 'calls, concurrency 1', kind: 'calls', concurrency: 1 },
  { name: 'calls, concurrency 64', kind: 'calls', concurrency: 64 },
  { name: 'calls, concurrency 256', kind: 'calls', concurrency: 256 },
] as const

const rows: string[][] = []
for (const scenario of scenarios) {
  log(`${scenario.name}: warming up…`)
  const withStore = await pair(scenario.kind, scenario.concurrency, true)
  const without = await pair(scenario.kind, scenario.concurrency, false)
  const costs: { store: Cost[]; none: Cost[]; json: number[] } = { store: [], none: [], json: [] }
  let first = 0
  // Two rounds each to warm the JIT, then the measured rounds, taking turns.
  for (let round = -2; round < rounds; round++) {
    const storeFirst = round % 2 === 0
    const a = await (storeFirst ? withStore : without).round(first)
    const b = await (storeFirst ? without : withStore).round(first)
    const json = jsonOnly(scenario.kind, first)
    first += messages
    if (round < 0) continue
    costs.store.push(storeFirst ? a : b)
    costs.none.push(storeFirst ? b : a)
    costs.json.push(json)
  }
  await withStore.close()
  await without.close()
  const json = median(costs.json)
  const storeCpu = median(costs.store.map((cost) => cost.cpu))
  const noneCpu = median(costs.none.map((cost) => cost.cpu))
  rows.push([
    scenario.name,
    fixed(storeCpu),
    fixed(median(costs.store.map((cost) => cost.delivery))),
    fixed(noneCpu),
    fixed(json),
    fixed(storeCpu - json),
  ])
  log(`${scenario.name}: ${fixed(storeCpu)} µs per message (${fixed(json)} of JSON)`)
}

const output = [
  `kafka-ipc's own CPU per message, no broker (loopback transport), ${String(cpus().length)} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `Medians of ${String(rounds)} alternating rounds of ${messages.toLocaleString('en-US')} messages. CPU µs per event (emit and handle) or per call (request and reply, both ends); *delivery* is the part spent turning fetched records into messages and running what the consumers do with them synchronously; *JSON only* is what a raw client spends on the same bodies; the default service keeps the memory deduplication store. Rounds of the same scenario spread by ±10–20% on this host: a difference between two columns smaller than that is not one.`,
  '',
  markdownTable(
    ['scenario', 'kafka-ipc µs', 'of which delivery µs', 'without a store µs', 'JSON only µs', 'layer µs (kafka-ipc − JSON)'],
    [false, true, true, true, true, true],
    rows,
  ),
  '',
].join('\n')
process.stdout.write(output)
await writeResult('own-cost.md', output)
process.exit(0)
