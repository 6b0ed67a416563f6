// Child program of bench/startup.ts: runs one system alone in this process — a kafka-ipc Service
// and Client (each with its own transport), or a node:http server and client — makes N calls at
// concurrency C, and prints its memory as one JSON line. Usage:
//   node bench/lib/service-under-load.ts kafka-ipc|http [calls] [concurrency]   (KAFKA_BROKERS set)
// Only types are imported statically, so the first RSS reading is Node alone.
import type { LoadReport } from './load-report.ts'

const rssAtStart = process.memoryUsage.rss()
const { measure } = await import('./measure.ts')
const { startHttp, startKafkaIpc } = await import('./systems.ts')

const which = process.argv[2] ?? 'kafka-ipc'
const calls = Number(process.argv[3] ?? 20_000)
const concurrency = Number(process.argv[4] ?? 64)
const rssAfterImports = process.memoryUsage.rss()
const system = which === 'http' ? await startHttp(concurrency) : await startKafkaIpc((process.env['KAFKA_BROKERS'] ?? '').split(','))
try {
  await system.call(0)
  const rssIdle = process.memoryUsage.rss()
  const result = await measure('load', (index) => system.call(index), { total: calls, concurrency, warmup: 0 })
  const report: LoadReport = { system: system.name, calls, concurrency, perSecond: result.perSecond, rssAtStart, rssAfterImports, rssIdle, maxRss: process.resourceUsage().maxRSS * 1024 }
  process.stdout.write(`${JSON.stringify(report)}\n`)
} finally {
  await system.stop()
}
