// Standalone reproduction, raw @platformatic/kafka 2.12.1 only (LocalKafka just runs the brokers): an
// idempotent producer (acks -1, idempotent true) stores DUPLICATE records when the leader of a partition
// is SIGKILLed under load, although the application calls send() exactly once per record.
// Run: node_modules/.bin/node test/repro/raw-producer-duplicates.ts
//   env RECORDS (default 5000), IN_FLIGHT (default 1000: concurrent send() calls, as kafka-ipc's events bench),
//   KILL=0: no fault (control run); KILL_WHEN=acked: kill at RECORDS/5 acknowledged rather than sent. With a
//   window of 1000 single-record sends (~250 acks/s here), "1/5 sent" is ~1 s in, while the window first fills.
//  1. 3-node cluster (RF 3, min.insync.replicas 2), topic with 6 partitions, wait for a full ISR everywhere.
//  2. Producer with kafka-ipc's settings; RECORDS single-message send() calls, keys unique, a sliding window
//     of IN_FLIGHT. A failed send is counted, never re-sent: every copy beyond the first is the library's.
//  3. At RECORDS/5 sent, SIGKILL the leader of partition 0; restart it 5 s later.
//  4. Count the library's own calls to initIdempotentProducer (a new producer id each time), by caller, and
//     the broker errors of the produce attempt that made it call #recoverIdempotentProducer.
//  5. Read the topic back from earliest, count keys stored more than once, and show which producer id and
//     sequence wrote each copy (from the raw Fetch batches).
// Seen (5 of 15 runs with the default trigger; 0 of 4 with KILL_WHEN=acked): 2 keys stored twice, e.g.
//   key 1: p5@0 (pid 0 seq 0), p5@307 (pid 1 seq 0); send() resolved with p5@307
// The produce in flight on a surviving leader, waiting for the killed follower, gets REQUEST_TIMED_OUT but is
// in the log. Its retry (same pid/seq) queues behind hundreds of later sends (idempotent => maxInflights 1,
// producer.js:37), so the broker no longer holds seq 0 among its 5 cached batches and answers
// OUT_OF_ORDER_SEQUENCE_NUMBER; the library takes that as lost producer state, gets a new producer id and
// writes the record again (producer.js:794-799, 816-840). OOSN on a first attempt (record not written) is
// recovered the same way and does not duplicate: extra producer ids alone do not mean duplicates.
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { subscribe } from 'node:diagnostics_channel'
import { setTimeout as sleep } from 'node:timers/promises'
import { LocalKafka } from '../../src/local-kafka/index.ts'

const RECORDS = Number(process.env['RECORDS'] ?? 5000)
const IN_FLIGHT = Number(process.env['IN_FLIGHT'] ?? 1000)
const KILL = process.env['KILL'] !== '0'
const KILL_WHEN = process.env['KILL_WHEN'] === 'acked' ? 'acked' : 'sent'
const t0 = Date.now()
const log = (...args: unknown[]): void => { console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`, ...args) }

// The codes of one failed attempt: ProtocolError carries the broker's error as apiId, a ResponseError
// (an AggregateError) holds one ProtocolError per failed partition, network errors only have a code.
function codes(error: unknown, out = new Set<string>()): Set<string> {
  if (error instanceof AggregateError) {
    for (const inner of error.errors as unknown[]) codes(inner, out)
  } else if (error instanceof Error) {
    const apiId = 'apiId' in error && typeof error.apiId === 'string' ? error.apiId : undefined
    out.add(apiId ?? ('code' in error ? String(error.code) : error.name))
  }
  return out
}
const codeText = (error: unknown): string => [...codes(error)].join('+')
const tally = (map: Map<string, number>, key: string): void => { map.set(key, (map.get(key) ?? 0) + 1) }

const kafka = await LocalKafka.start({ nodes: 3 })
log(`cluster up: ${kafka.brokers.join(',')}`)
const topic = `dupes-${String(Date.now())}`
const common = { bootstrapBrokers: kafka.brokers, retries: 10, retryDelay: 100 } // kafka-ipc's settings
const admin = new Admin({ clientId: 'repro-admin', ...common })
const producer = new Producer({ clientId: 'repro-producer', ...common, serializers: stringSerializers, acks: -1, idempotent: true })

await admin.createTopics({ topics: [topic], partitions: 6, replicas: 3 })
for (;;) {
  const partitions = (await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined))?.topics.get(topic)?.partitions
  if (partitions?.length === 6 && partitions.every((p) => p.isr.length === 3)) break
  await sleep(200)
}
log(`topic ${topic}: 6 partitions, ISR 3 everywhere`)

// --- instrumentation -----------------------------------------------------------------------------
// The library calls this.initIdempotentProducer() itself (producer.js:595 from #send whenever it holds no
// producer id: at start, and for every send issued while a recovery or a failed send (producer.js:738) has
// unset it; producer.js:821 from #recoverIdempotentProducer), so an own-property wrapper sees every call.
// The caller is the stack frame under the wrapper; V8 names private methods "#send" / "#recoverIdempotentProducer".
interface ProducerInfo { producerId: bigint; producerEpoch: number }
type InitCallback = (error: Error | null, info?: ProducerInfo) => void
type InitFn = (options: object, callback?: InitCallback) => unknown
const target = producer as unknown as { initIdempotentProducer: InitFn }
const originalInit = target.initIdempotentProducer.bind(producer)
const initCalls = new Map<string, number>()
const producerIds = new Set<bigint>()
const recoveryTriggers = new Map<string, number>()
let lastProduceFailure = 'none'
target.initIdempotentProducer = (options, callback) => {
  const caller = new Error().stack?.split('\n')[2] ?? ''
  const kind = caller.includes('#recoverIdempotentProducer') ? 'recover' : caller.includes('#send') ? 'send' : 'other'
  tally(initCalls, kind)
  // performWithRetry:failed fires synchronously just before the callback chain that reaches
  // #recoverIdempotentProducer, so the last failed produce is exactly the one that triggered this call.
  if (kind === 'recover') {
    tally(recoveryTriggers, lastProduceFailure)
    if (initCalls.get('recover') === 1) log(`first #recoverIdempotentProducer, after: ${lastProduceFailure}`)
  }
  if (!callback) return originalInit(options)
  return originalInit(options, (error, info) => {
    if (info) producerIds.add(info.producerId)
    callback(error, info)
  })
}
// Concurrent calls share one InitProducerId round trip (kPerformDeduplicated): count the round trips too.
let initProducerIdRequests = 0
producer.on('client:performDeduplicated', (op: string) => { if (op === 'initProducerId') initProducerIdRequests++ })
// The codes of every attempt of a produce the retry loop gave up on, e.g. "REQUEST_TIMED_OUT > OUT_OF_ORDER_SEQUENCE_NUMBER".
const produceGiveUps = new Map<string, number>()
let produceRetries = 0
producer.on('client:performWithRetry:retry', (op: string) => { if (op === 'produce') produceRetries++ })
producer.on('client:performWithRetry:failed', (op: string, _limit: number, errors: unknown[]) => {
  if (op !== 'produce') return
  lastProduceFailure = errors.map(codeText).join(' > ')
  tally(produceGiveUps, lastProduceFailure)
})

// --- load and fault --------------------------------------------------------------------------------
let sendCalls = 0
const acked = new Map<string, string>() // key -> where the library says it stored it
const failures = new Map<string, number>()
const inFlight = new Set<Promise<void>>()
let fault: Promise<void> | undefined
const progress = setInterval(() => { log(`progress: ${String(sendCalls)} sent, ${String(acked.size)} acked, ${String(inFlight.size)} in flight`) }, 2000)
for (let i = 0; i < RECORDS; i++) {
  if (KILL && !fault && (KILL_WHEN === 'acked' ? acked.size : i) >= RECORDS / 5) {
    // Only the lookup is awaited (the window stays full meanwhile); the kill lands while sends continue.
    const victim = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)?.partitions[0]?.leader
    if (victim === undefined) throw new Error('no leader for partition 0')
    log(`${String(i)} sent, ${String(acked.size)} acked, ${String(inFlight.size)} in flight: SIGKILL node ${String(victim)} (leader of p0)`)
    fault = (async () => {
      await kafka.killNode(victim)
      await sleep(5000)
      log(`restarting node ${String(victim)}`)
      await kafka.restartNode(victim)
      log(`node ${String(victim)} is back`)
    })()
  }
  const id = String(i)
  sendCalls++
  const sending: Promise<void> = producer.send({ messages: [{ topic, key: id, value: id }] }).then(
    (result) => { acked.set(id, result.offsets?.map((o) => `p${String(o.partition)}@${String(o.offset)}`).join(',') ?? '?') },
    (error: unknown) => { tally(failures, codeText(error)) }, // never re-sent
  ).finally(() => { inFlight.delete(sending) })
  inFlight.add(sending)
  if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight)
}
await Promise.all(inFlight)
clearInterval(progress)
log(`all ${String(sendCalls)} sends settled: ${String(acked.size)} acked`)
await fault

// --- read back ---------------------------------------------------------------------------------------
// Messages do not carry their batch's producer id and sequence; the raw Fetch response does, and the
// consumer publishes it on the fetches tracing channel (context.result), so note them per partition@offset.
interface FetchedBatch { firstOffset: bigint; producerId: bigint; firstSequence: number; records: { offsetDelta: number }[] }
interface FetchResult { responses: { partitions: { partitionIndex: number; records: FetchedBatch[] | null }[] }[] }
const writer = new Map<string, string>() // "p1@339" -> "pid 1001 seq 0"
subscribe('tracing:plt:kafka:consumer:fetches:asyncStart', (context) => {
  for (const { partitions } of (context as { result?: FetchResult }).result?.responses ?? []) {
    for (const { partitionIndex, records } of partitions) {
      for (const batch of records ?? []) {
        for (const { offsetDelta } of batch.records) {
          writer.set(`p${String(partitionIndex)}@${String(batch.firstOffset + BigInt(offsetDelta))}`, `pid ${String(batch.producerId)} seq ${String(batch.firstSequence + offsetDelta)}`)
        }
      }
    }
  }
})
const consumer = new Consumer({ clientId: 'repro-reader', groupId: `reader-${String(Date.now())}`, ...common, deserializers: stringDeserializers, maxWaitTime: 500 })
const endOffsets = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? []
const expected = Number(endOffsets.reduce((sum, offset) => sum + offset, 0n)) // no transactions: no control records
const copies = new Map<string, string[]>() // key -> where each copy is stored
let read = 0
const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
await new Promise<void>((resolve) => {
  const giveUp = setTimeout(() => { log(`read-back timed out at ${String(read)}/${String(expected)}`); resolve() }, 60_000)
  if (expected === 0) resolve()
  stream.on('data', (message) => {
    copies.set(message.key, [...(copies.get(message.key) ?? []), `p${String(message.partition)}@${String(message.offset)}`])
    if (++read === expected) { clearTimeout(giveUp); resolve() }
  })
})
await stream.close()

const duplicated = [...copies].filter(([, where]) => where.length > 1)
const missing = [...acked.keys()].filter((key) => !copies.has(key)).length
console.log('\nResult:')
console.table({
  'send() calls (each record once)': sendCalls,
  acknowledged: acked.size,
  failed: `${String(RECORDS - acked.size)} ${JSON.stringify(Object.fromEntries(failures))}`,
  'records in topic': `${String(read)} (end offsets sum ${String(expected)})`,
  'keys stored twice or more': duplicated.length,
  'acked but missing': missing,
  'application re-sends': 0,
  // Each send() holds one record, so each call from #recoverIdempotentProducer re-sends exactly one record.
  'initIdempotentProducer calls': `${String([...initCalls.values()].reduce((a, b) => a + b, 0))} by caller ${JSON.stringify(Object.fromEntries(initCalls))}`,
  'InitProducerId requests / producer ids': `${String(initProducerIdRequests)} / ${String(producerIds.size)}`,
  'produce retries (same pid, same seq)': produceRetries,
})
console.log('produce operations the retry loop gave up on (codes of each attempt), and how many went to #recoverIdempotentProducer:')
console.table([...produceGiveUps].map(([attempts, gaveUp]) => ({ attempts, 'gave up': gaveUp, 'recovered (new pid, record re-sent)': recoveryTriggers.get(attempts) ?? 0 })))
for (const [key, where] of duplicated.slice(0, 5)) {
  console.log(`key ${key}: ${where.map((w) => `${w} (${writer.get(w) ?? '?'})`).join(', ')}; send() resolved with ${acked.get(key) ?? 'failure'}`)
}
await consumer.close(true)
await producer.close()
await admin.close()
await kafka.stop()
