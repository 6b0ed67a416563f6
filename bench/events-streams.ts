// Events and streams throughput. Events: N ~1 KiB JSON events emitted with 1,000 emits in flight
// and consumed by one subscribing consumer group — kafka-ipc (`client.emit` of a zod-validated
// event contract, a Service subscribed with `on`) side by side with the raw @platformatic/kafka
// Producer/Consumer (acks=-1, idempotent), sending one send() per event, batched, and batched with
// kafka-ipc's one envelope header on each record (what the header alone costs the client). Reports
// produced/s, emit latency, and consumed/s from the first emit to the last event handled. Below
// them, Apache Kafka's own Java producer benchmark (ProducerPerformance, uncompressed and lz4)
// sends as many events of the same JSON to the same broker: the producer ceiling of this broker
// and machine (skipped, with the reason, when Java or its jars are unavailable). Then kafka-ipc and
// the batched raw client again with zstd-compressed batches (the policy's `compression`).
// Streams: a `client.stream()` request whose async-generator handler yields N small items, three
// times in a row (runs vary a lot); parts/s and time to the first item. Prints a markdown table and writes it to
// bench/results/events-streams.md. A program, not a test: the figures depend on the machine.
// Defaults (BENCH_EVENTS 50,000; BENCH_STREAM_ITEMS 30,000 × BENCH_STREAM_RUNS 3) keep a run
// under 3 minutes on 2 cores; the one-send()-per-event raw row is the slow part. Then kafka-ipc
// and the batched raw client, with and without the header, once more, all running, in
// BENCH_EVENT_ROUNDS (4) rounds of 20,000 events each taken in turns, with and without zstd: the
// ratios to read (bench/lib/alternated-events.ts).
import { alternatedEvents, eventRoundsTable } from './lib/alternated-events.ts'
import { type EventsResult, measureEvents } from './lib/events.ts'
import { startIpcEvents } from './lib/ipc-events.ts'
import { producerPerformance } from './lib/kafka-perf-tool.ts'
import { startRawEvents } from './lib/raw-events.ts'
import { newMessageId } from '../src/core/protocol/message-id.ts'
import { packFields } from '../src/core/protocol/packed-envelope.ts'
import { envNumber, fixed, log, machineLine, markdownTable, whole, withBroker, writeResult } from './lib/run-env.ts'
import { measureStream, type StreamResult } from './lib/streams.ts'
import { warmBroker } from './lib/warm-broker.ts'

const events = envNumber('BENCH_EVENTS', 50_000)
const inFlight = envNumber('BENCH_EVENTS_IN_FLIGHT', 1_000)
// Long enough for the JIT to reach its steady state on either side: after only 2,000, a system's
// first 40,000 events took up to twice the CPU per event of the same system's third 40,000.
const warmup = envNumber('BENCH_EVENTS_WARMUP', 20_000)
const streamItems = envNumber('BENCH_STREAM_ITEMS', 30_000)
const streamRuns = envNumber('BENCH_STREAM_RUNS', 3)
const shortStreams = envNumber('BENCH_SHORT_STREAMS', 50)
const ceilingRecords = envNumber('BENCH_CEILING_RECORDS', 500_000)
const partitions = 6
const eventRounds = envNumber('BENCH_EVENT_ROUNDS', 4)
const roundEvents = envNumber('BENCH_ROUND_EVENTS', 20_000)
/** The bytes of the header the raw client carries in the "with header" rows: its name and the packed envelope of one of these events. */
const packedHeaderBytes = 'kipc'.length + packFields('1', 'event', newMessageId(), { service: 'bench-source' }).length

function eventsTable(rows: readonly EventsResult[]): string {
  return markdownTable(
    ['system', 'events', 'emit p50 ms', 'emit p99 ms', 'produced/s', 'consumed/s', 'first emit → last handled ms'],
    [false, true, true, true, true, true, true],
    rows.map((row) => [row.system, whole(row.emit.count), fixed(row.emit.p50), fixed(row.emit.p99), whole(row.emit.perSecond), whole(row.consumedPerSecond), whole(row.consumeMs)]),
  )
}

function streamTable(result: StreamResult): string {
  return markdownTable(
    ['kafka-ipc stream', 'items', 'total ms', 'parts/s', 'first item ms'],
    [false, true, true, true, true],
    [
      ...result.runs.map((run, i) => [`stream ${i + 1} of ${result.runs.length}`, whole(run.items), whole(run.totalMs), whole(run.perSecond), fixed(run.firstItemMs)]),
      [`${result.shortStreams} streams of 10 items, one after another`, '10 each', '-', '-', `p50 ${fixed(result.firstItemP50Ms)}, p99 ${fixed(result.firstItemP99Ms)}`],
    ],
  )
}

await withBroker(async ({ brokers, kafkaVersion }) => {
  await warmBroker(brokers)
  const rows: EventsResult[] = []
  rows.push(await measureEvents(await startIpcEvents(brokers, partitions), { total: events, inFlight, warmup }))
  rows.push(await measureEvents(await startRawEvents(brokers, partitions, 'batched'), { total: events, inFlight, warmup }))
  rows.push(await measureEvents(await startRawEvents(brokers, partitions, 'batched-with-header'), { total: events, inFlight, warmup }))
  rows.push(await measureEvents(await startRawEvents(brokers, partitions, 'per-event'), { total: events, inFlight, warmup }))
  // The same pair with zstd batches (the policy's compression setting).
  rows.push(await measureEvents(await startIpcEvents(brokers, partitions, 'zstd'), { total: events, inFlight, warmup }))
  rows.push(await measureEvents(await startRawEvents(brokers, partitions, 'batched', 'zstd'), { total: events, inFlight, warmup }))
  // The ratios, from rounds taken in turns: each row above is one run, and this host drifts.
  const alternated: { compression: string; rounds: Awaited<ReturnType<typeof alternatedEvents>> }[] = []
  for (const compression of ['none', 'zstd'] as const) {
    alternated.push({ compression, rounds: await alternatedEvents(brokers, partitions, compression, { rounds: eventRounds, total: roundEvents, inFlight, warmup }) })
  }
  // At least 500,000 records: with fewer, the JVM's start and warm-up dominate and the figure says
  // nothing about the broker.
  const ceiling = await producerPerformance(brokers, kafkaVersion, { records: Math.max(events, ceilingRecords), partitions })
  if (typeof ceiling === 'string') log(`Kafka ProducerPerformance skipped: ${ceiling}`)
  const stream = await measureStream(brokers, { items: streamItems, runs: streamRuns, shortStreams })
  const ipc = rows[0]
  const batched = rows[1]
  const output = [
    `Events and streams, one process, ${machineLine(kafkaVersion)}`,
    '',
    `Events: ~1 KiB JSON (\`{ seq, data }\`, 1,019–1,024 bytes), ${partitions} partitions, ${whole(inFlight)} emits in flight, after ${whole(warmup)} warm-up events per system. kafka-ipc's event contract has a zod body schema, checked on emit and on receipt; the raw consumer JSON-parses each value.`,
    '',
    eventsTable(typeof ceiling === 'string' ? rows : [...rows, ...ceiling]),
    '',
    typeof ceiling === 'string'
      ? `Kafka ProducerPerformance (Java) rows skipped: ${ceiling}`
      : `The ProducerPerformance rows are Apache Kafka's own Java producer (acks=all, idempotent, linger.ms=5, batch.size=256 KiB, unthrottled) sending the same ~1 KiB JSON to the same broker, on a ${partitions}-partition topic: the ceiling this broker and machine allow a producer, not a consumer (nothing consumes; its latencies are queueing under saturation, not ${whole(inFlight)} emits in flight).`,
    '',
    ipc === undefined || batched === undefined ? '' : `kafka-ipc produces at ${fixed(ipc.emit.perSecond / batched.emit.perSecond)}× and consumes at ${fixed(ipc.consumedPerSecond / batched.consumedPerSecond)}× the batched raw client's rate.`,
    '',
    `kafka-ipc and the batched raw client — and the batched raw client carrying kafka-ipc's envelope header, a \`kipc\` header of ${packedHeaderBytes} bytes with this event's packed envelope (version, kind, message id, sender), read by its consumer — again, all running, in ${eventRounds} rounds of ${whole(roundEvents)} events taken in turns (who goes first rotates), after ${whole(warmup)} warm-up events each:`,
    '',
    eventRoundsTable(alternated),
    '',
    `Streams: \`{ n }\` items (~10 bytes of JSON), zod-validated on both sides; the handler is an async generator; ${streamRuns} long streams one after another on the same Service and Client.`,
    '',
    streamTable(stream),
    '',
  ].join('\n')
  process.stdout.write(output)
  await writeResult('events-streams.md', output)
})
