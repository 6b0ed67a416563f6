// kafka-ipc against the tuned raw round trip in alternating rounds: both systems started and kept
// running, each scenario measured round by round, the two taking turns (and turns about who goes
// first), so that a drift of a shared machine — which on the bench host has moved one system's
// req/s 2× between runs half an hour apart — falls on both alike. The ratios the throughput issue
// asks for are read from these rounds (their median), not from two single runs minutes apart.
import { measure, type ScenarioResult } from './measure.ts'
import { fixed } from './run-env.ts'
import { startRawTuned } from './raw-tuned.ts'
import { startKafkaIpc, type System } from './systems.ts'

/** One scenario measured in alternating rounds. */
export interface AlternatedScenario {
  readonly scenario: string
  readonly concurrency: number
  /** Per round: kafka-ipc's result and the tuned raw pair's. */
  readonly rounds: readonly { readonly ipc: ScenarioResult; readonly raw: ScenarioResult }[]
}

const scenarios = [
  { scenario: 'latency-c1', concurrency: 1, total: 1_000 },
  { scenario: 'throughput-c64', concurrency: 64, total: 5_000 },
  { scenario: 'throughput-c256', concurrency: 256, total: 10_000 },
] as const

/**
 * Starts kafka-ipc and the tuned raw pair on `brokers` and measures every scenario in `rounds`
 * alternating rounds; stops both.
 *
 * @example
 * ```ts
 * const measured = await alternatedRatios(brokers, 4, log)
 * process.stdout.write(ratiosTable(measured))
 * ```
 */
export async function alternatedRatios(brokers: readonly string[], rounds: number, log: (line: string) => void): Promise<AlternatedScenario[]> {
  const ipc = await startKafkaIpc([...brokers])
  let raw: System | undefined
  try {
    raw = await startRawTuned([...brokers])
    const both = { ipc, raw }
    const measured: AlternatedScenario[] = []
    for (const { scenario, concurrency, total } of scenarios) {
      const results: { ipc: ScenarioResult; raw: ScenarioResult }[] = []
      for (let round = 0; round < rounds; round++) {
        log(`kafka-ipc and tuned raw, alternating: ${scenario}, round ${round + 1} of ${rounds} (${total} requests each)…`)
        const order = round % 2 === 0 ? (['ipc', 'raw'] as const) : (['raw', 'ipc'] as const)
        const got: Partial<Record<'ipc' | 'raw', ScenarioResult>> = {}
        for (const which of order) {
          const system = both[which]
          got[which] = await measure(scenario, (i) => system.call(i), { total, concurrency, warmup: concurrency * 4 })
        }
        if (got.ipc !== undefined && got.raw !== undefined) results.push({ ipc: got.ipc, raw: got.raw })
      }
      measured.push({ scenario, concurrency, rounds: results })
    }
    return measured
  } finally {
    await Promise.all([ipc.stop(), raw?.stop()])
  }
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2
}

/**
 * The alternating rounds as a markdown table — per round kafka-ipc's and the raw pair's figure and
 * their ratio (p50 and p99 at concurrency 1, req/s under load) — and a line of the median ratios.
 */
export function ratiosTable(measured: readonly AlternatedScenario[]): string {
  const lines = ['| scenario | measure | round | kafka-ipc | tuned raw | kafka-ipc ÷ raw |', '|---|---|---:|---:|---:|---:|']
  const medians: string[] = []
  for (const { scenario, concurrency, rounds } of measured) {
    const measures = concurrency === 1 ? (['p50', 'p99'] as const) : (['perSecond'] as const)
    for (const name of measures) {
      const label = name === 'perSecond' ? 'req/s' : `${name} ms`
      const ratios = rounds.map(({ ipc, raw }) => ipc[name] / raw[name])
      rounds.forEach(({ ipc, raw }, index) => {
        lines.push(`| ${scenario} | ${label} | ${index + 1} | ${fixed(ipc[name], name === 'perSecond' ? 0 : 2)} | ${fixed(raw[name], name === 'perSecond' ? 0 : 2)} | ${fixed(ratios[index] ?? Number.NaN)}× |`)
      })
      medians.push(`${scenario} ${label} ${fixed(median(ratios))}× (${ratios.map((ratio) => fixed(ratio)).join(', ')})`)
    }
  }
  return `${lines.join('\n')}\n\nMedian kafka-ipc ÷ tuned raw over the rounds: ${medians.join('; ')}.\n`
}
