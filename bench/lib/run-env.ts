// What the bench programs share: progress on stderr, settings from the environment, the broker
// (a LocalKafka unless KAFKA_BROKERS is set), the machine line above each table, and results files.
import { writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { LocalKafka } from '../../src/local-kafka/index.ts'

/** Progress goes to stderr; stdout carries only the table. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`)
}

/** A positive number from the environment, or `fallback` when the variable is unset or empty. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}.`)
  return value
}

/** The broker a bench program runs against. */
export interface Broker {
  readonly brokers: string[]
  /** The local Kafka's version, or 'external' when KAFKA_BROKERS was given. */
  readonly kafkaVersion: string
}

/** Runs `body` against $KAFKA_BROKERS, or against a LocalKafka started and stopped around it. */
export async function withBroker<T>(body: (broker: Broker) => Promise<T>): Promise<T> {
  const external = process.env['KAFKA_BROKERS'] ?? ''
  const kafka = external === '' ? await LocalKafka.start({ log }) : undefined
  try {
    return await body({ brokers: kafka?.brokers ?? external.split(','), kafkaVersion: kafka?.kafkaVersion ?? 'external' })
  } finally {
    await kafka?.stop()
  }
}

/** One line describing where the numbers come from. */
export function machineLine(kafkaVersion: string): string {
  const kafka = kafkaVersion === 'external' ? 'Kafka at $KAFKA_BROKERS' : `Kafka ${kafkaVersion} (1 local node)`
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${kafka}. ${new Date().toISOString().slice(0, 10)}.`
}

/** A number for a table cell; '-' when it is not finite. */
export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-'
}

/** Whole numbers with thousands separators, for rates and counts. */
export function whole(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-'
}

/** A markdown table: the header row, then rows; `numeric` columns are right-aligned. */
export function markdownTable(header: readonly string[], numeric: readonly boolean[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  const rule = `|${header.map((_, i) => (numeric[i] === true ? '---:' : '---')).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

/** Writes a file under bench/results/. */
export async function writeResult(name: string, content: string): Promise<void> {
  await writeFile(new URL(`../results/${name}`, import.meta.url), content)
}

/** Resolves once `condition()` holds, checking every 10 ms; rejects after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}.`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
