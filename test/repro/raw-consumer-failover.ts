// Standalone reproduction, raw @platformatic/kafka only (LocalKafka just runs the brokers): what a
// consumer-group MessagesStream does when the leader of one of its partitions is SIGKILLed.
// Run: node_modules/.bin/node test/repro/raw-consumer-failover.ts
//   env RESUBSCRIBE=0: skip step 5;  KILL=coordinator: kill the group coordinator instead of p0's leader.
//  1. 3-node cluster, topic with 6 partitions and RF 3, a steady trickle from an idempotent producer.
//  2. One group consumer, retries 20 / retryDelay 100 as kafka-ipc configures it.
//  3. SIGKILL the leader of partition 0, restart it 5 s later, keep producing for 30 s.
//  4. Instrument the library's own retry loop (client:performWithRetry:* events) and its metadata cache.
//  5. When the stream dies, clearMetadata() and consume() again on the same consumer, to see if that heals.
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'
import { LocalKafka } from '../../src/local-kafka/index.ts'

const t0 = Date.now()
const log = (...args: unknown[]): void => { console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`, ...args) }

// Library errors nest: MultipleErrors (an AggregateError) holds one error per attempt, each maybe with a cause.
function flatten(error: unknown, out: string[] = []): string[] {
  if (error instanceof AggregateError) {
    for (const inner of error.errors as unknown[]) flatten(inner, out)
  } else if (error instanceof Error) {
    out.push(error.message + (error.cause instanceof Error ? ` (cause: ${error.cause.message})` : ''))
  } else {
    out.push(String(error))
  }
  return out
}
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `non-Error ${typeof error}: ${JSON.stringify(error)}`
  const code = 'code' in error ? String(error.code) : error.name
  if (!(error instanceof AggregateError)) return `${error.constructor.name} ${code}: ${flatten(error).join('')}`
  const counts = new Map<string, number>()
  for (const message of flatten(error)) counts.set(message, (counts.get(message) ?? 0) + 1)
  return `${error.constructor.name} ${code}: ${error.message} [nested: ${[...counts].map(([m, n]) => `${m} x${n}`).join('; ')}]`
}

const kafka = await LocalKafka.start({ nodes: 3 })
log(`cluster up: ${kafka.brokers.join(',')}`)
const topic = `failover-${String(Date.now())}`
const groupId = `repro-${String(Date.now())}`
const common = { bootstrapBrokers: kafka.brokers, retries: 20, retryDelay: 100 } // kafka-ipc's defaults
const admin = new Admin({ clientId: 'repro-admin', ...common })
const producer = new Producer({ clientId: 'repro-producer', ...common, serializers: stringSerializers, acks: -1, idempotent: true })
const consumer = new Consumer({ clientId: 'repro-consumer', groupId, ...common, deserializers: stringDeserializers, autocommit: false, maxWaitTime: 500 })

// --- instrumentation of the client itself -------------------------------------------------------
const retriesByOp = new Map<string, number>()
const cannotFindBroker: string[] = []
let heartbeatErrors = 0
let metadataRefreshes = 0
let refreshesAtKill = -1
let refreshesKillToError = -1
let lastMetadataView = ''
consumer.on('client:performWithRetry:retry', (op: string) => { retriesByOp.set(op, (retriesByOp.get(op) ?? 0) + 1) })
consumer.on('client:performWithRetry:failed', (op: string, limit: number, errors: unknown[]) => {
  const text = errors.map(describeError).join(' | ')
  if (text.includes('Cannot find broker')) cannotFindBroker.push(op)
  log(`performWithRetry gave up: op=${op} attempts=${errors.length} limit=${limit} errors=${text.slice(0, 300)}`)
})
consumer.on('client:metadata', (metadata) => {
  metadataRefreshes++
  const view = `p0 leader=${String(metadata.topics.get(topic)?.partitions[0]?.leader)} brokers=[${[...metadata.brokers.keys()].sort().join(',')}]`
  if (view !== lastMetadataView) log(`consumer metadata refreshed: ${view}`)
  lastMetadataView = view
})
consumer.on('consumer:heartbeat:error', (payload) => {
  if (heartbeatErrors++ < 3) {
    const raw = payload as unknown
    log(`heartbeat:error payload: instanceof Error=${raw instanceof Error} keys=[${Object.keys(payload).join(',')}] .error=${describeError(payload.error)}`)
  }
})
consumer.on('consumer:group:join', (p) => { log(`group:join generation=${p.generationId} assignments=${JSON.stringify(p.assignments)}`) })
consumer.on('consumer:heartbeat:stalled', () => { log('heartbeat:stalled') })
consumer.on('error', (error) => { log(`consumer 'error' event: ${describeError(error)}`) }) // unhandled would crash

// --- producer: one record every 20 ms, partition = i % 6 so every partition gets traffic -------
await admin.createTopics({ topics: [topic], partitions: 6, replicas: 3 })
await sleep(1000)
const acked = new Set<string>()
let produceFailures = 0
const stopProducing = new AbortController()
const producerLoop = (async () => {
  for (let i = 0; !stopProducing.signal.aborted; i++) {
    try {
      await producer.send({ messages: [{ topic, key: `k${String(i % 6)}`, value: String(i), partition: i % 6 }] })
      acked.add(String(i))
    } catch (error) {
      if (produceFailures++ < 3) log(`produce failed: ${describeError(error)}`)
    }
    await sleep(20)
  }
})()

// --- consumer streams ----------------------------------------------------------------------------
let phase: 'before' | 'after' = 'before'
const consumed = { before: 0, after: 0 }
const seen = new Set<string>()
interface StreamRun { id: number; consumed: number; error: string; openedAt: string; closedAt: string }
const runs: StreamRun[] = []
const resubscribe = process.env['RESUBSCRIBE'] !== '0'
let finished = false
let membershipAtDeath = ''

async function startStream(): Promise<void> {
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
  const run: StreamRun = { id: runs.length + 1, consumed: 0, error: '', openedAt: `${((Date.now() - t0) / 1000).toFixed(1)}s`, closedAt: '' }
  runs.push(run)
  stream.on('data', (message) => { consumed[phase]++; run.consumed++; seen.add(message.value) })
  stream.on('error', (error) => {
    run.error = describeError(error)
    if (refreshesKillToError < 0 && refreshesAtKill >= 0) refreshesKillToError = metadataRefreshes - refreshesAtKill
    // What the cache said when the stream died: a leader not in brokers[] is the "Cannot find broker" case.
    const md = consumer.currentMetadata
    const p0 = md?.topics.get(topic)?.partitions[0]
    log(`stream #${run.id} 'error': ${run.error}`)
    log(`  cached metadata then: p0 leader=${String(p0?.leader)} leader in brokers=${String(md && p0 ? md.brokers.has(p0.leader) : undefined)} age=${md ? Date.now() - md.lastUpdate : -1}ms`)
  })
  stream.on('close', () => {
    run.closedAt = `${((Date.now() - t0) / 1000).toFixed(1)}s`
    membershipAtDeath ||= `isActive=${consumer.isActive()} memberId=${consumer.memberId ? 'set' : 'null'} assignments=${JSON.stringify(consumer.assignments)} topics.current=${JSON.stringify(consumer.topics.current)} streams=${consumer.streamsCount}`
    log(`stream #${run.id} 'close' (consumed ${run.consumed}); consumer: ${membershipAtDeath}`)
    if (resubscribe && !finished) void retrySubscribe()
  })
}
async function retrySubscribe(): Promise<void> {
  for (let attempt = 1; attempt <= 30 && !finished; attempt++) {
    await sleep(1000)
    consumer.clearMetadata() // drop the possibly stale leader map before the new stream's first fetch
    try {
      await startStream()
      log(`re-consume attempt ${attempt}: new stream #${runs.length} opened`)
      return
    } catch (error) {
      log(`re-consume attempt ${attempt} failed: ${describeError(error)}`)
    }
  }
}

await startStream()
log(`consumer joined, coordinator node ${await consumer.findGroupCoordinator()}`)
await sleep(5000)

// --- the fault -----------------------------------------------------------------------------------
const p0 = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)?.partitions[0]
if (!p0) throw new Error('no metadata for partition 0')
const coordinator = await consumer.findGroupCoordinator()
const victim = process.env['KILL'] === 'coordinator' ? coordinator : p0.leader
log(`before kill: produced ${acked.size}, consumed ${consumed.before}; SIGKILL node ${victim} (p0 leader ${p0.leader}, coordinator ${coordinator})`)
phase = 'after'
refreshesAtKill = metadataRefreshes
await kafka.killNode(victim)
await sleep(5000)
log(`restarting node ${victim}`)
await kafka.restartNode(victim)
log(`node ${victim} is back; producing for 30 s more`)
await sleep(30_000)
stopProducing.abort()
await producerLoop
for (let i = 0; i < 50 && [...acked].some((v) => !seen.has(v)); i++) await sleep(200) // let the tail drain
finished = true

// --- report --------------------------------------------------------------------------------------
const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId)
const missing = [...acked].filter((v) => !seen.has(v)).length
console.log('\nStreams:')
console.table(runs.map((r) => ({ stream: r.id, opened: r.openedAt, consumed: r.consumed, closed: r.closedAt || 'open', error: r.error.slice(0, 160) || '-' })))
console.log('Summary:')
console.table({
  'killed node': `${victim} (p0 leader ${p0.leader}, coordinator ${coordinator})`,
  'records acked by producer': acked.size,
  'produce failures': produceFailures,
  'consumed before kill': consumed.before,
  'consumed after kill': consumed.after,
  'acked but never consumed': missing,
  'redelivered (consumed twice)': consumed.before + consumed.after - seen.size,
  'stream emitted error': runs.some((r) => r.error !== ''),
  'consumption resumed after kill': runs.some((r) => r.id > 1 && r.consumed > 0) || (runs[0]?.error === '' && consumed.after > 0),
  're-consume used': resubscribe,
  'consumer.assignments': JSON.stringify(consumer.assignments),
  'consumer.isActive() / memberId': `${consumer.isActive()} / ${consumer.memberId ? 'set' : 'null'}`,
  'membership when stream 1 closed': membershipAtDeath || '-',
  'broker view of group': group ? `${group.state}, ${group.members.size} member(s)` : 'not found',
  'heartbeat errors': heartbeatErrors,
  'library retries by op': JSON.stringify(Object.fromEntries(retriesByOp)),
  'consumer metadata refreshes (total / kill->stream error)': `${metadataRefreshes} / ${refreshesKillToError}`,
  "'Cannot find broker' seen in": [...cannotFindBroker, ...runs.filter((r) => r.error.includes('Cannot find broker')).map((r) => `stream #${r.id}`)].join(', ') || 'never',
})
await consumer.close(true).catch((error: unknown) => { log(`consumer.close: ${describeError(error)}`) })
await producer.close()
await admin.close()
await kafka.stop()
