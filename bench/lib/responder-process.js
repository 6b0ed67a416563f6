// Child program of bench/startup.ts: ONE responder alone in this Node process, as a service runs in
// production — plain JavaScript importing the built package (dist/), so no TypeScript loader is in
// memory — while the parent process sends it load. It reports memory through the IPC channel:
//   { stage: 'ready', rssAtStart, rssAfterImports, rssIdle, port? }   once it answers requests
//   { stage: 'report', maxRss, cpuMicros }                           after the parent sends 'report'
//                                                                    (cpuMicros: user + system CPU since 'ready')
// Usage (forked): responder-process.js kafka-ipc <policy prefix>   (KAFKA_BROKERS set)
//                 responder-process.js raw <topic name prefix>      (the tuned raw responder; topics made by the parent)
//                 responder-process.js http
import { Buffer } from 'node:buffer'
import process from 'node:process'

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

let rssAfterImportsValue = 0
const running = system === 'http' ? await startHttp() : system === 'raw' ? await startRaw() : await startKafkaIpc()
const cpuAtReady = process.cpuUsage()
tell({ stage: 'ready', rssAtStart, rssAfterImports: rssAfterImportsValue, rssIdle: process.memoryUsage.rss(), ...(running.port === undefined ? {} : { port: running.port }) })
process.on('message', (message) => {
  if (message !== 'report') return
  const { user, system: kernel } = process.cpuUsage(cpuAtReady)
  tell({ stage: 'report', maxRss: process.resourceUsage().maxRSS * 1024, cpuMicros: user + kernel })
  void running.stop().then(() => process.exit(0))
})
