// What record headers cost the client library per record, without a broker: @platformatic/kafka's
// own record-batch writer and reader (createRecordsBatch, readRecordsBatch — what its producer and
// consumer call), and the one map of headers each side builds per record around them, on batches
// of 256 ~100-byte JSON records as the request-reply bench sends. The rows carry no header, the
// packed envelope kafka-ipc writes on a request and on a reply (built by buildMessage, encoded by
// the Kafka transport's serializers), and the same request envelope one header per field (policy
// `envelope: 'headers'`). The difference to the row without a header is what the wire format's
// header costs this client on every record, before kafka-ipc's own code runs: the part of the
// throughput issue's floor (docs/performance.md, "The CPU budget at 256 in flight") that only the
// client library could make cheaper. Rounds alternate between the rows; medians over
// BENCH_HEADER_ROUNDS (9). Prints a markdown table and writes it to bench/results/header-cost.md.
// A program, not a test.
import { Buffer } from 'node:buffer'
import { createRecordsBatch, type MessageRecord, Reader, readRecordsBatch } from '@platformatic/kafka'
import { jsonCodec } from '../src/core/protocol/codec.ts'
import { buildMessage } from '../src/core/protocol/envelope.ts'
import { encodeHeaders, producerSerializers } from '../src/transports/kafka/records.ts'
import { envNumber, fixed, log, markdownTable, writeResult } from './lib/run-env.ts'
import { payload } from './lib/systems.ts'
import { cpus, totalmem } from 'node:os'

const rounds = envNumber('BENCH_HEADER_ROUNDS', 9)
const batchSize = 256
const batchesPerRound = 200

/** A request and a reply as kafka-ipc builds them for the request-reply bench's echo call. */
const request = buildMessage(
  { topic: 'kipc.bench.requests', key: undefined },
  'request',
  { replyTo: 'kipc.bench-caller.inbox.1clc0af8:0', deadline: Date.now() + 30_000, method: 'POST', path: '/echo', service: 'bench-caller' },
  payload(1),
  jsonCodec,
  1 << 20,
)
const reply = buildMessage({ topic: 'kipc.bench-caller.inbox.1clc0af8', partition: 0 }, 'reply', { correlation: 'Zk3xQ1u8Rr5Vq2Wm9Tt0Yw', status: 200, service: 'bench' }, payload(1), jsonCodec, 1 << 20)

/** The headers of one row, as the producer is handed them: names and values still as strings. */
const forms: readonly { readonly name: string; readonly headers: ReadonlyMap<string, string> | undefined }[] = [
  { name: 'no header', headers: undefined },
  { name: "kafka-ipc's request envelope, packed (one `kipc` header)", headers: request.headers },
  { name: "kafka-ipc's reply envelope, packed (one `kipc` header)", headers: reply.headers },
  { name: "kafka-ipc's request envelope, one header per field", headers: new Map([...encodeHeaders(request.headers, 'headers')].map(([name, value]) => [name.toString(), value.toString()])) },
]

const value = Buffer.from(request.value)

/** The producer's part for one batch: a serialized header map per record, then the batch's bytes. */
function produce(headers: ReadonlyMap<string, string> | undefined): Buffer {
  const records: MessageRecord[] = []
  for (let index = 0; index < batchSize; index++) {
    const serialized = new Map<Buffer, Buffer>()
    if (headers !== undefined) {
      for (const [name, text] of headers) {
        const key = producerSerializers.headerKey(name)
        const bytes = producerSerializers.headerValue(text)
        if (key !== undefined && bytes !== undefined) serialized.set(key, bytes)
      }
    }
    records.push({ value, headers: serialized, topic: 'kipc.bench.requests', partition: 0 })
  }
  return createRecordsBatch(records).buffer
}

/** The consumer's part for one batch: the records parsed, and a header map per record. */
function consume(bytes: Buffer): number {
  let seen = 0
  for (const record of readRecordsBatch(Reader.from(bytes)).records) {
    const headers = new Map<Buffer | null, Buffer | null>()
    for (const [name, text] of record.headers) headers.set(name, text)
    seen += headers.size + (record.value?.length ?? 0)
  }
  return seen
}

/** CPU µs per record of `batchesPerRound` runs of `work`. */
function perRecord(work: () => unknown): number {
  const started = process.cpuUsage()
  for (let batch = 0; batch < batchesPerRound; batch++) if (work() === undefined) throw new Error('nothing made')
  const used = process.cpuUsage(started)
  return (used.user + used.system) / (batchesPerRound * batchSize)
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN

const encoded = forms.map((form) => produce(form.headers))
const costs = forms.map(() => ({ produce: [] as number[], consume: [] as number[] }))
// Two rounds to warm the JIT, then the measured rounds, the rows taking turns (and turns about who goes first).
for (let round = -2; round < rounds; round++) {
  log(`record headers in the client library: round ${String(round + 3)} of ${String(rounds + 2)}…`)
  const order = forms.map((_, index) => index)
  if (round % 2 !== 0) order.reverse()
  for (const index of order) {
    const form = forms[index]
    const bytes = encoded[index]
    const cost = costs[index]
    if (form === undefined || bytes === undefined || cost === undefined) continue
    const produced = perRecord(() => produce(form.headers))
    const consumed = perRecord(() => consume(bytes))
    if (round < 0) continue
    cost.produce.push(produced)
    cost.consume.push(consumed)
  }
}

const base = costs[0]
const baseProduce = median(base?.produce ?? [])
const baseConsume = median(base?.consume ?? [])
const rows = forms.map((form, index) => {
  const produced = median(costs[index]?.produce ?? [])
  const consumed = median(costs[index]?.consume ?? [])
  return [form.name, fixed((encoded[index]?.length ?? Number.NaN) / batchSize, 1), fixed(produced, 3), fixed(consumed, 3), fixed(produced - baseProduce, 3), fixed(consumed - baseConsume, 3)]
})
const added = (index: number): number => median(costs[index]?.produce ?? []) - baseProduce + (median(costs[index]?.consume ?? []) - baseConsume)
const perCall = added(1) + added(2)

const output = [
  `Record headers in the client library (@platformatic/kafka's record-batch writer and reader, and a header map per record on each side), no broker, ${String(cpus().length)} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `Medians of ${String(rounds)} alternating rounds of ${String(batchesPerRound)} batches of ${String(batchSize)} ~100-byte JSON records. CPU µs per record; *added* is the difference to the row without a header.`,
  '',
  markdownTable(['headers on each record', 'bytes per record', 'produce µs', 'consume µs', 'added to produce µs', 'added to consume µs'], [false, true, true, true, true, true], rows),
  '',
  `A call writes and reads a request and a reply: the packed envelope adds ${fixed(perCall)} µs per call in the client library.`,
  '',
].join('\n')
process.stdout.write(output)
await writeResult('header-cost.md', output)
process.exit(0)
