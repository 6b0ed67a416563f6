// Apache Kafka's own producer benchmark, org.apache.kafka.tools.ProducerPerformance (what
// kafka-producer-perf-test.sh runs), against the bench's broker: the Java client tuned as Kafka's
// docs suggest shows what this broker on this machine can take from one producer — the ceiling for
// the events table's produced/s. Java, Maven or the jars missing is not an error: the rows are
// skipped with the reason.
import { Admin } from '@platformatic/kafka'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { defaultKafkaVersion, ensureKafkaDistribution } from '../../src/local-kafka/kafka-distribution.ts'
import { lastLines, runCommand } from '../../src/local-kafka/run-command.ts'
import { findJava, findMaven } from '../../src/local-kafka/toolchain.ts'
import { eventBody, type EventsResult } from './events.ts'
import { log } from './run-env.ts'

/** How the tool is started: a Java runtime and the classpath holding kafka-tools. */
interface PerfTool {
  readonly java: string
  readonly classpath: string
}

/** The summary ProducerPerformance prints last. */
export interface PerfSummary {
  readonly records: number
  readonly perSecond: number
  readonly avgMs: number
  readonly maxMs: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly p999: number
}

const summaryLine = /(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\./g

/**
 * Reads the last summary line, e.g. `1000000 records sent, 77041.602465 records/sec (75.24 MB/sec),
 * 371.26 ms avg latency, 1884.00 ms max latency, 317 ms 50th, 579 ms 95th, 1791 ms 99th, 1860 ms 99.9th.`
 * The progress lines printed every few seconds have no percentiles, so they never match.
 */
export function parseSummary(output: string): PerfSummary | undefined {
  const match = [...output.matchAll(summaryLine)].at(-1)
  if (match === undefined) return undefined
  const group = (index: number): number => Number(match[index])
  return { records: group(1), perSecond: group(2), avgMs: group(3), maxMs: group(4), p50: group(5), p95: group(6), p99: group(7), p999: group(8) }
}

/** The first line of an error's message: the skip reason must fit on one line of the report. */
function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
}

/**
 * Java, plus a classpath of the kafka-tools jar (fetched into ~/.m2 by Maven if absent) and the
 * broker distribution's libs, which hold everything else the tool loads.
 */
async function findPerfTool(kafkaVersion: string): Promise<PerfTool> {
  // toolchain.ts words its errors for starting a broker; say what this tool needs instead.
  const java = await findJava().catch(() => {
    throw new Error('no Java 17+ found (set JAVA_HOME or put java on PATH)')
  })
  const jar = join(homedir(), '.m2', 'repository', 'org', 'apache', 'kafka', 'kafka-tools', kafkaVersion, `kafka-tools-${kafkaVersion}.jar`)
  if (!existsSync(jar)) {
    const artifact = `org.apache.kafka:kafka-tools:${kafkaVersion}`
    const maven = await findMaven().catch(() => {
      throw new Error(`${jar} is missing and there is no Maven to fetch ${artifact} (install mvn or set MAVEN_CMD)`)
    })
    log(`fetching ${artifact} with Maven…`)
    const result = await runCommand(maven, ['-B', '-q', 'dependency:get', `-Dartifact=${artifact}`, '-Dtransitive=false'])
    if (result.exitCode !== 0 || !existsSync(jar)) throw new Error(`Maven could not fetch ${artifact}: ${lastLines(result.output, 1)}`)
  }
  const distribution = await ensureKafkaDistribution({ version: kafkaVersion, log })
  return { java: java.executable, classpath: [jar, distribution.classpath].join(delimiter) }
}

/** One ProducerPerformance run of `records` events on a fresh topic of `partitions` partitions. */
async function runOnce(tool: PerfTool, brokers: string[], options: { records: number; partitions: number; compression: 'none' | 'lz4'; payloadFile: string }): Promise<PerfSummary> {
  const topic = `perf-${randomUUID().slice(0, 8)}`
  const admin = new Admin({ clientId: 'perf-admin', bootstrapBrokers: brokers })
  try {
    await admin.createTopics({ topics: [topic], partitions: options.partitions, replicas: -1 })
    log(`Kafka ProducerPerformance, compression ${options.compression}: ${options.records} events…`)
    // -Xmx512M as kafka-producer-perf-test.sh sets it; --producer-props works on every 3.5–4.2 tool.
    const result = await runCommand(tool.java, [
      '-Xmx512M',
      '-cp',
      tool.classpath,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(options.records),
      '--throughput',
      '-1',
      '--payload-file',
      options.payloadFile,
      '--producer-props',
      `bootstrap.servers=${brokers.join(',')}`,
      'acks=all',
      'linger.ms=5',
      'batch.size=262144',
      `compression.type=${options.compression}`,
    ])
    const summary = result.exitCode === 0 ? parseSummary(result.output) : undefined
    if (summary === undefined) throw new Error(`ProducerPerformance exited ${result.exitCode} without a summary: ${lastLines(result.output, 1)}`)
    return summary
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
    await admin.close()
  }
}

/**
 * Kafka's Java producer sending `records` copies of `eventBody(123456)` (one ~1 KiB line), acks=all,
 * linger.ms=5, batch.size=256 KiB, with no throttle: once uncompressed, once with lz4. Returns rows
 * for the events table (consumed/s is '-': nothing consumes), or why they were skipped.
 */
export async function producerPerformance(brokers: string[], kafkaVersion: string, options: { records: number; partitions: number }): Promise<EventsResult[] | string> {
  const version = kafkaVersion === 'external' ? defaultKafkaVersion : kafkaVersion
  let tool: PerfTool
  try {
    tool = await findPerfTool(version)
  } catch (error) {
    return oneLine(error)
  }
  const folder = await mkdtemp(join(tmpdir(), 'kafka-perf-'))
  try {
    const payloadFile = join(folder, 'payload.json')
    await writeFile(payloadFile, JSON.stringify(eventBody(123456)))
    const rows: EventsResult[] = []
    for (const compression of ['none', 'lz4'] as const) {
      const summary = await runOnce(tool, brokers, { ...options, compression, payloadFile })
      rows.push({
        system: `Kafka ProducerPerformance (Java), ${compression === 'none' ? 'no compression' : compression}`,
        // The tool reports the 95th, not the 90th percentile; the table shows p50 and p99 only.
        emit: { scenario: 'emit', count: summary.records, p50: summary.p50, p90: Number.NaN, p99: summary.p99, max: summary.maxMs, perSecond: summary.perSecond },
        consumedPerSecond: Number.NaN,
        consumeMs: Number.NaN,
      })
    }
    return rows
  } catch (error) {
    return oneLine(error)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}
