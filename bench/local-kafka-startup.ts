// `npm run bench:local-kafka`: how fast the local Kafka is ready and how much memory each node
// holds, for 1 and 3 nodes, with the jars already cached. Prints a markdown table and writes it to
// bench/results/local-kafka.md. A program, not a test: numbers depend on the machine.
import { Admin, Producer } from '@platformatic/kafka'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { LocalKafka } from '../src/local-kafka/index.ts'

const runs = Number(process.env['BENCH_RUNS'] ?? 3)
const mib = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(0))
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

interface Row {
  readonly scenario: string
  readonly readyMs: number[]
  readonly rssIdle: number[]
  readonly rssLoaded: number[]
}

/** Produces 20,000 records of 1 KiB so the RSS figure reflects a broker that has done work. */
async function load(kafka: LocalKafka): Promise<void> {
  const admin = new Admin({ clientId: 'bench', bootstrapBrokers: kafka.brokers })
  await admin.createTopics({ topics: ['bench-load'], partitions: 3 }).catch(() => undefined)
  await admin.close()
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: kafka.brokers, acks: -1 })
  const value = Buffer.alloc(1024, 7)
  for (let batch = 0; batch < 20; batch++) {
    await producer.send({ messages: Array.from({ length: 1000 }, () => ({ topic: 'bench-load', value })) })
  }
  await producer.close()
}

async function measure(scenario: string, nodes: number, reuseData: boolean): Promise<Row> {
  const row: Row = { scenario, readyMs: [], rssIdle: [], rssLoaded: [] }
  const dataDir = reuseData ? await mkdtemp(join(tmpdir(), 'kafka-ipc-bench-')) : undefined
  if (dataDir !== undefined) await (await LocalKafka.start({ nodes, dataDir })).stop()
  for (let run = 0; run < runs; run++) {
    const kafka = await LocalKafka.start({ nodes, ...(dataDir === undefined ? {} : { dataDir }) })
    row.readyMs.push(kafka.readyInMs)
    for (const node of await kafka.status()) row.rssIdle.push(node.residentBytes ?? 0)
    await load(kafka)
    for (const node of await kafka.status()) row.rssLoaded.push(node.residentBytes ?? 0)
    await kafka.stop()
  }
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  return row
}

const rows = [
  await measure('1 node, new data folder (format + start)', 1, false),
  await measure('1 node, existing data folder (restart)', 1, true),
  await measure('3 nodes, new data folder (format + start)', 3, false),
]

const table = [
  `Local Kafka ${(await import('../src/local-kafka/index.ts')).defaultKafkaVersion} on ${cpus().length} cores, ${mib(totalmem())} MiB RAM, Node ${process.version}; ${runs} runs each, jars and class-data archive cached.`,
  '',
  '| scenario | ready p50 ms | ready min–max ms | RSS per node idle MiB (p50) | RSS per node after 20k×1 KiB MiB (p50) |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((row) => `| ${row.scenario} | ${median(row.readyMs)} | ${Math.min(...row.readyMs)}–${Math.max(...row.readyMs)} | ${mib(median(row.rssIdle))} | ${mib(median(row.rssLoaded))} |`),
  '',
].join('\n')
process.stdout.write(table)
await writeFile(new URL('results/local-kafka.md', import.meta.url), table)
