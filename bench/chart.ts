// Latency percentile curves of request-reply at concurrency 1 as an SVG chart. With a file
// argument (`node bench/chart.ts samples.json`, the format of bench/lib/latency-file.ts) it draws
// that file; without one it measures kafka-ipc, the raw @platformatic/kafka round trip and
// node:http itself on a warmed broker (BENCH_REQUESTS, default 3,000, after BENCH_WARMUP 300)
// and keeps the samples in bench/results/request-reply-latency.json. Writes
// docs/assets/request-reply-latency.svg, and prints (and writes to request-reply-latency.md) a
// markdown table of the same percentiles.
import { readFile, writeFile } from 'node:fs/promises'
import { renderLatencyChart } from './lib/latency-chart.ts'
import { type LatencyFile, parseLatencyFile, seriesOf } from './lib/latency-file.ts'
import { measure, percentile, type ScenarioResult } from './lib/measure.ts'
import { envNumber, fixed, log, machineLine, markdownTable, withBroker, writeResult } from './lib/run-env.ts'
import { startHttp, startKafkaIpc, startRawKafka, type System } from './lib/systems.ts'
import { warmBroker } from './lib/warm-broker.ts'

const requests = envNumber('BENCH_REQUESTS', 3_000)
const warmup = envNumber('BENCH_WARMUP', 300)

async function latencies(start: () => Promise<System>): Promise<{ system: string; result: ScenarioResult }> {
  const system = await start()
  try {
    log(`${system.name}: ${requests} requests at concurrency 1 after ${warmup} warm-up…`)
    return { system: system.name, result: await measure('latency-c1', (i) => system.call(i), { total: requests, concurrency: 1, warmup, keepSamples: true }) }
  } finally {
    await system.stop()
  }
}

async function measureAll(): Promise<LatencyFile> {
  return withBroker(async ({ brokers, kafkaVersion }) => {
    await warmBroker(brokers)
    // The order of bench/request-reply.ts.
    const rows = [await latencies(() => startRawKafka(brokers)), await latencies(() => startKafkaIpc(brokers)), await latencies(() => startHttp(1))]
    const file: LatencyFile = {
      title: 'Request-reply latency at concurrency 1',
      note: `~100-byte JSON echo, ${requests} requests per system after ${warmup} warm-up, one process, warmed broker; ${machineLine(kafkaVersion)}`,
      series: seriesOf(rows),
    }
    await writeResult('request-reply-latency.json', `${JSON.stringify(file)}\n`)
    return file
  })
}

function percentileTable(file: LatencyFile): string {
  const columns = [0, 50, 90, 99, 99.9, 100]
  return markdownTable(
    ['system', 'scenario', 'samples', ...columns.map((p) => (p === 0 ? 'min ms' : p === 100 ? 'max ms' : `p${p} ms`))],
    [false, false, true, ...columns.map(() => true)],
    file.series.map(({ system, scenario, samples }) => {
      const sorted = [...samples].sort((a, b) => a - b)
      return [system, scenario, String(sorted.length), ...columns.map((p) => fixed(p === 0 ? (sorted[0] ?? Number.NaN) : percentile(sorted, p)))]
    }),
  )
}

const input = process.argv[2]
const file = input === undefined ? await measureAll() : parseLatencyFile(await readFile(input, 'utf8'))
// In docs/ so that the chart ships with the documentation that shows it.
await writeFile(new URL('../docs/assets/request-reply-latency.svg', import.meta.url), renderLatencyChart(file))
const output = [`${file.title}. ${file.note}`, '', percentileTable(file), '', 'Chart: docs/assets/request-reply-latency.svg.', ''].join('\n')
process.stdout.write(output)
await writeResult('request-reply-latency.md', output)
