// Timing helpers shared by the benchmark programs: latency loops, concurrent loops, percentiles.

/** One measured scenario, as every bench program (and the peer programs) report it. */
export interface ScenarioResult {
  readonly scenario: string
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
  readonly perSecond: number
  /**
   * CPU time of this process per operation, µs (user and system, every thread), over the measured
   * operations — both ends of a call where caller and responder share the process, as the
   * alternating rounds' systems do. Absent where a peer program reported its own figures.
   */
  readonly cpuMicros?: number
  /** Every measured latency in ms, in completion order — only when `keepSamples` was asked for. */
  readonly samples?: readonly number[]
}

/** How {@link measure} runs a scenario. */
export interface MeasureOptions {
  readonly total: number
  readonly concurrency: number
  readonly warmup: number
  /** Keep the raw latencies in the result's `samples` (for charts). Default false. */
  readonly keepSamples?: boolean
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

function summarise(scenario: string, latencies: number[], elapsedMs: number, cpuMicros: number, keepSamples: boolean): ScenarioResult {
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    scenario,
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    perSecond: (sorted.length / elapsedMs) * 1000,
    cpuMicros: cpuMicros / Math.max(1, sorted.length),
    ...(keepSamples ? { samples: latencies } : {}),
  }
}

/**
 * Runs `operation` `total` times with `concurrency` loops in flight, after `warmup` unmeasured
 * runs, and reports latency percentiles and throughput (and the raw latencies, when asked).
 */
export async function measure(scenario: string, operation: (index: number) => Promise<unknown>, options: MeasureOptions): Promise<ScenarioResult> {
  let next = 0
  const loop = async (limit: number, record: number[] | undefined): Promise<void> => {
    for (;;) {
      const index = next++
      if (index >= limit) return
      const started = performance.now()
      await operation(index)
      record?.push(performance.now() - started)
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.warmup) }, () => loop(options.warmup, undefined)))
  next = 0
  const latencies: number[] = []
  const began = performance.now()
  const cpuBefore = process.cpuUsage()
  await Promise.all(Array.from({ length: options.concurrency }, () => loop(options.total, latencies)))
  const cpu = process.cpuUsage(cpuBefore)
  return summarise(scenario, latencies, performance.now() - began, cpu.user + cpu.system, options.keepSamples === true)
}

/** Peak resident memory of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024
}
