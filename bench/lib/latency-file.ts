// The raw latency samples a chart is drawn from, as a JSON file: bench/chart.ts writes one from
// its own measurement, and bench/request-reply.ts could write one from `measure(..., { keepSamples: true })`.
import type { ScenarioResult } from './measure.ts'

/** One system's latencies in one scenario, in ms. */
export interface LatencySeries {
  readonly system: string
  readonly scenario: string
  readonly samples: readonly number[]
}

/** The file: a title, a line saying where the numbers come from, and the series. */
export interface LatencyFile {
  readonly title: string
  readonly note: string
  readonly series: readonly LatencySeries[]
}

/** Series from measured rows; rows measured without `keepSamples` are left out. */
export function seriesOf(rows: readonly { readonly system: string; readonly result: ScenarioResult }[]): LatencySeries[] {
  return rows.flatMap(({ system, result }) => (result.samples === undefined ? [] : [{ system, scenario: result.scenario, samples: result.samples.map((ms) => Math.round(ms * 1000) / 1000) }]))
}

/** Parses and checks a latency file. */
export function parseLatencyFile(text: string): LatencyFile {
  const data: unknown = JSON.parse(text)
  const fail = (what: string): never => {
    throw new Error(`Not a latency file: ${what}.`)
  }
  if (typeof data !== 'object' || data === null) return fail('not an object')
  const { title, note, series } = data as Record<string, unknown>
  if (typeof title !== 'string' || typeof note !== 'string' || !Array.isArray(series)) return fail('title, note and series are required')
  const checked = series.map((entry: unknown, index): LatencySeries => {
    const { system, scenario, samples } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>
    if (typeof system !== 'string' || typeof scenario !== 'string' || !Array.isArray(samples) || !samples.every((sample) => typeof sample === 'number')) {
      return fail(`series ${index} needs system, scenario and numeric samples`)
    }
    return { system, scenario, samples }
  })
  return { title, note, series: checked }
}
