// Child program of bench/startup.ts: ONE responder alone in this Node process, as a service runs in
// production — plain JavaScript importing the built package (dist/), so no TypeScript loader is in
// memory — while the parent process sends it load. It reports memory through the IPC channel:
//   { stage: 'ready', rssAtStart, rssAfterImports, rssIdle, port? }   once it answers requests
//   { stage: 'report', maxRss, cpuMicros, keptPerScavenge, youngGeneration }
//                                                                    after the parent sends 'report'
//                                                                    (cpuMicros: user + system CPU since 'ready';
//                                                                    keptPerScavenge, youngGeneration: bytes, from
//                                                                    v8.GCProfiler — see youngGenerationFigures)
// Usage (forked): responder-process.js kafka-ipc <policy prefix>   (KAFKA_BROKERS set)
//                 responder-process.js raw <topic name prefix>      (the tuned raw responder; topics made by the parent)
//                 responder-process.js http
import { Buffer } from 'node:buffer'
import process from 'node:process'
import v8 from 'node:v8'

const rssAtStart = process.memoryUsage.rss()
const system = process.argv[2] ?? 'kafka-ipc'

/** @param {Record<string, unknown>} message */
function tell(message) {
  if (process.send === undefined) throw new Error('responder-process.js must be started with fork() (it reports over IPC).')
  process.send(message)
}

/** @returns {Promise<{ port?: number, stop: () => Promise<void> }>} */
async function startKafkaIpc() {
  const { z } = await import('zod')
  const { Service, definePolicy, kafkaTransport, route } = await import('../../dist/index.js')
  const afterImports = process.memoryUsage.rss()
  // The same contract bench/lib/systems.ts calls: ~100 bytes of JSON, zod-validated both ways.
  const Payload = z.object({ id: z.number(), from: z.string(), to: z.string(), passengers: z.number(), cabin: z.string(), note: z.string() })
  const echo = route('bench', 'POST /echo', { body: Payload, reply: Payload })
  const transport = kafkaTransport({ brokers: process.env['KAFKA_BROKERS'] ?? '' })
  // BENCH_DEDUPE=off: without the default deduplication store, to price its memory.
  const deduplication = process.env['BENCH_DEDUPE'] === 'off' ? { deduplication: /** @type {const} */ (false) } : {}
  const service = new Service({ name: 'bench', policy: definePolicy({ prefix: process.argv[3] ?? 'bench', partitions: 6 }), transport, ...deduplication }).handle(echo, (request) => request.body)
  await service.listen()
  rssAfterImportsValue = afterImports
  return {
    async stop() {
      await service.close()
      await transport.close()
    },
  }
}

/** @returns {Promise<{ port?: number, stop: () => Promise<void> }>} */
async function startHttp() {
  const { createServer } = await import('node:http')
  rssAfterImportsValue = process.memoryUsage.rss()
  const server = createServer((request, response) => {
    /** @type {Buffer[]} */
    const chunks = []
    request.on('data', (/** @type {Buffer} */ chunk) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      JSON.parse(body.toString())
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      response.end(body)
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => { resolve(undefined) }))
  const address = server.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    stop: () => new Promise((resolve) => server.close(() => { resolve(undefined) })),
  }
}

/** @returns {Promise<{ port?: number, stop: () => Promise<void> }>} */
async function startRaw() {
  const { startRawResponder } = await import('./raw-responder.js')
  rssAfterImportsValue = process.memoryUsage.rss()
  const name = process.argv[3] ?? 'raw'
  const responder = await startRawResponder((process.env['KAFKA_BROKERS'] ?? '').split(','), `${name}-requests`, `${name}-replies`, 6)
  return { stop: () => responder.close() }
}

/**
 * What the young generation kept under the load, from the collections V8 made since 'ready':
 * `keptPerScavenge`, the median over the last two thirds of the scavenges (the first ones see the
 * warm-up) of the bytes that survived one — left in the new space or promoted to the old — and
 * `youngGeneration`, the largest the new space was made. V8 grows the new space once the bytes
 * surviving its scavenges since it last grew exceed its size: what a responder keeps per request
 * in flight decides how soon its young generation, and with it the peak RSS, grows
 * (docs/performance.md). NaN when no scavenge ran.
 *
 * @param {readonly { gcType: string, beforeGC: { heapSpaceStatistics: readonly { spaceName: string, spaceUsedSize: number, spaceSize: number }[] }, afterGC: { heapSpaceStatistics: readonly { spaceName: string, spaceUsedSize: number, spaceSize: number }[] } }[]} statistics
 * @returns {{ keptPerScavenge: number, youngGeneration: number }}
 */
function youngGenerationFigures(statistics) {
  /** @param {readonly { spaceName: string, spaceUsedSize: number, spaceSize: number }[]} spaces @param {string} name */
  const space = (spaces, name) => spaces.find((entry) => entry.spaceName === name)
  const scavenges = statistics.filter((entry) => entry.gcType === 'Scavenge')
  const kept = scavenges.slice(Math.floor(scavenges.length / 3)).map((entry) => {
    const young = space(entry.afterGC.heapSpaceStatistics, 'new_space')?.spaceUsedSize ?? 0
    const promoted = (space(entry.afterGC.heapSpaceStatistics, 'old_space')?.spaceUsedSize ?? 0) - (space(entry.beforeGC.heapSpaceStatistics, 'old_space')?.spaceUsedSize ?? 0)
    return young + Math.max(0, promoted)
  }).sort((a, b) => a - b)
  const youngGeneration = Math.max(0, ...statistics.map((entry) => space(entry.afterGC.heapSpaceStatistics, 'new_space')?.spaceSize ?? 0))
  return { keptPerScavenge: kept[kept.length >> 1] ?? Number.NaN, youngGeneration }
}

let rssAfterImportsValue = 0
const running = system === 'http' ? await startHttp() : system === 'raw' ? await startRaw() : await startKafkaIpc()
const cpuAtReady = process.cpuUsage()
const gcProfiler = new v8.GCProfiler()
gcProfiler.start()
tell({ stage: 'ready', rssAtStart, rssAfterImports: rssAfterImportsValue, rssIdle: process.memoryUsage.rss(), ...(running.port === undefined ? {} : { port: running.port }) })
process.on('message', (message) => {
  if (message !== 'report') return
  const { user, system: kernel } = process.cpuUsage(cpuAtReady)
  const { statistics } = gcProfiler.stop()
  tell({ stage: 'report', maxRss: process.resourceUsage().maxRSS * 1024, cpuMicros: user + kernel, ...youngGenerationFigures(statistics) })
  void running.stop().then(() => process.exit(0))
})
