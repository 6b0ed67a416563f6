// kafka-ipc against the tuned raw round trip in alternating rounds: the systems started and kept
// running, each scenario measured round by round, the systems taking turns (and turns about who
// goes first), so that a drift of a shared machine — which on the bench host has moved one system's
// req/s 2× between runs half an hour apart — falls on all alike. The ratios the throughput issue
// asks for are read from these rounds (their median), not from two single runs minutes apart. Two
// more systems show how much of the gap kafka-ipc's wire format itself costs with this client
// library: the raw pair carrying kafka-ipc's envelope header, and the same pair also JSON-parsing
// and -stringifying each body on the responder, as a responder that validates must (the floor).
import { measure, type ScenarioResult } from './measure.ts'
import { fixed } from './run-env.ts'
import { startRawTuned } from './raw-tuned.ts'
import { startKafkaIpc, type System } from './systems.ts'

/** The systems of the rounds: kafka-ipc, the tuned raw pair, that pair carrying kafka-ipc's envelope header, and carrying it with JSON. */
type Which = 'ipc' | 'raw' | 'header' | 'floor'

/** One round of one scenario: each system's result. */
export type AlternatedRound = Readonly<Record<Which, ScenarioResult>>

/** One scenario measured in alternating rounds. */
export interface AlternatedScenario {
  readonly scenario: string
  readonly concurrency: number
  readonly rounds: readonly AlternatedRound[]
}

const scenarios = [
  { scenario: 'latency-c1', concurrency: 1, total: 1_000 },
  { scenario: 'throughput-c64', concurrency: 64, total: 5_000 },
  { scenario: 'throughput-c256', concurrency: 256, total: 10_000 },
] as const

/** The systems in the order of a round that rotates by 0. */
const systems: readonly Which[] = ['ipc', 'raw', 'header', 'floor']

/**
 * Starts kafka-ipc, the tuned raw pair, and the tuned raw pair with kafka-ipc's envelope header —
 * alone, and with JSON on the responder (raw-tuned.ts: the least kafka-ipc's wire format asks of a
 * call) — on `brokers`, warms each with `warmup` calls at concurrency 1 (what V8 compiles while a
 * system is new is not what the rounds measure), and measures every scenario in `rounds` rounds,
 * the four taking turns and who goes first rotating; stops them.
 *
 * @example
 * ```ts
 * const measured = await alternatedRatios(brokers, 4, log, 10_000)
 * process.stdout.write(ratiosTable(measured))
 * ```
 */
export async function alternatedRatios(brokers: readonly string[], rounds: number, log: (line: string) => void, warmup = 0): Promise<AlternatedScenario[]> {
  const started: Partial<Record<Which, System>> = {}
  try {
    started.ipc = await startKafkaIpc([...brokers])
    started.raw = await startRawTuned([...brokers])
    started.header = await startRawTuned([...brokers], { envelope: 'header' })
    started.floor = await startRawTuned([...brokers], { envelope: 'header-and-json' })
    const running = started as Record<Which, System>
    if (warmup > 0) {
      log(`kafka-ipc, tuned raw, tuned raw with the envelope header and with it and JSON: ${warmup} warm-up calls each at concurrency 1…`)
      for (const which of systems) {
        const system = running[which]
        for (let index = 0; index < warmup; index++) await system.call(index)
      }
    }
    const measured: AlternatedScenario[] = []
    for (const { scenario, concurrency, total } of scenarios) {
      const results: AlternatedRound[] = []
      for (let round = 0; round < rounds; round++) {
        log(`kafka-ipc, tuned raw, tuned raw with the envelope header and with it and JSON, in turns: ${scenario}, round ${round + 1} of ${rounds} (${total} requests each)…`)
        const got: Partial<Record<Which, ScenarioResult>> = {}
        for (const which of rotated(systems, round)) {
          const system = running[which]
          got[which] = await measure(scenario, (i) => system.call(i), { total, concurrency, warmup: concurrency * 4 })
        }
        const { ipc, raw, header, floor } = got
        if (ipc !== undefined && raw !== undefined && header !== undefined && floor !== undefined) results.push({ ipc, raw, header, floor })
      }
      measured.push({ scenario, concurrency, rounds: results })
    }
    return measured
  } finally {
    await Promise.all(systems.flatMap((which) => started[which]?.stop() ?? []))
  }
}

/** `items` rotated left by `by`: round 0 a, b, c; round 1 b, c, a; … */
function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2
}

/** The ratios of the table, each a column: a system's figure over another's. */
const ratios: readonly { readonly label: string; readonly of: Which; readonly to: Which }[] = [
  { label: 'kafka-ipc ÷ raw', of: 'ipc', to: 'raw' },
  { label: 'kafka-ipc ÷ floor', of: 'ipc', to: 'floor' },
  { label: 'header ÷ raw', of: 'header', to: 'raw' },
  { label: 'floor ÷ raw', of: 'floor', to: 'raw' },
]

/**
 * The alternating rounds as a markdown table — per round each system's figure (p50 and p99 at
 * concurrency 1, req/s under load) and the ratios between them — and a line of the median ratios.
 */
export function ratiosTable(measured: readonly AlternatedScenario[]): string {
  const lines = [
    `| scenario | measure | round | kafka-ipc | tuned raw | raw + envelope header | raw + header and JSON (floor) | ${ratios.map(({ label }) => label).join(' | ')} |`,
    `|---|---|---:|---:|---:|---:|---:|${ratios.map(() => '---:').join('|')}|`,
  ]
  const medians: string[] = []
  for (const { scenario, concurrency, rounds } of measured) {
    const measures = concurrency === 1 ? (['p50', 'p99'] as const) : (['perSecond'] as const)
    for (const name of measures) {
      const label = name === 'perSecond' ? 'req/s' : `${name} ms`
      const digits = name === 'perSecond' ? 0 : 2
      const columns = ratios.map(({ of, to }) => rounds.map((round) => round[of][name] / round[to][name]))
      rounds.forEach((round, index) => {
        const figures = systems.map((which) => fixed(round[which][name], digits))
        lines.push(`| ${scenario} | ${label} | ${index + 1} | ${figures.join(' | ')} | ${columns.map((column) => `${fixed(column[index] ?? Number.NaN)}×`).join(' | ')} |`)
      })
      const [toRaw = [], ...others] = columns
      const rest = others.map((column, index) => `${ratios[index + 1]?.label ?? ''} ${fixed(median(column))}×`)
      medians.push(`${scenario} ${label} ${fixed(median(toRaw))}× (${toRaw.map((ratio) => fixed(ratio)).join(', ')}; ${rest.join('; ')})`)
    }
  }
  return `${lines.join('\n')}\n\nThe floor is the tuned raw pair carrying kafka-ipc's envelope header and JSON-parsing and -stringifying each body on the responder. Median kafka-ipc ÷ tuned raw over the rounds: ${medians.join('; ')}.\n\n${cpuTable(measured)}`
}

const systemLabels: Readonly<Record<Which, string>> = { ipc: 'kafka-ipc', raw: 'tuned raw', header: 'raw + envelope header', floor: 'floor' }

/**
 * What each system's calls cost the process under load — both ends, as caller and responder share
 * it — and how busy that kept it. The process runs JavaScript on one thread: a system that keeps
 * it a whole core busy makes at most 10⁶ ÷ its CPU µs per call calls a second, so 0.8× the raw
 * pair's req/s is out of reach for a system spending more than 10⁶ ÷ (0.8 × the raw pair's req/s)
 * µs per call (the last column). Medians over the rounds.
 */
function cpuTable(measured: readonly AlternatedScenario[]): string {
  const loaded = measured.filter(({ concurrency }) => concurrency > 1)
  const lines = [
    `| scenario | ${systems.map((which) => `${systemLabels[which]} CPU µs per call (cores busy)`).join(' | ')} | most CPU µs per call one core allows at 0.8× the raw pair's req/s |`,
    `|---|${systems.map(() => '---:').join('|')}|---:|`,
  ]
  for (const { scenario, rounds } of loaded) {
    const cpu = (which: Which): number => median(rounds.map((round) => round[which].cpuMicros ?? Number.NaN))
    const busy = (which: Which): number => median(rounds.map((round) => ((round[which].cpuMicros ?? Number.NaN) * round[which].perSecond) / 1e6))
    const rawPerSecond = median(rounds.map((round) => round.raw.perSecond))
    lines.push(`| ${scenario} | ${systems.map((which) => `${fixed(cpu(which), 1)} (${fixed(busy(which))})`).join(' | ')} | ${fixed(1e6 / (0.8 * rawPerSecond), 1)} |`)
  }
  return `CPU of the bench process per call under load, both ends (process.cpuUsage() around each system's measured calls), medians over the rounds:\n\n${lines.join('\n')}\n`
}
