import type { Counter, Metric, Registry } from 'prom-client'
import type { PromClient } from './metric-families.ts'

/**
 * Metrics counted by kafka-ipc itself and handed to prom-client only when scraped. prom-client's
 * own `inc()` and `observe()` build a key string from the labels and check them on every call —
 * about half a microsecond each, a few per request. Here a record costs a field increment (and a
 * bucket search): its series is bound once per label set, and the scrape does the rest.
 */

/** One counter's label set: the count, incremented in place. */
export interface CountSeries {
  value: number
}

/** One histogram's label set: observations in seconds. */
export interface LatencySeries {
  observe(seconds: number): void
}

type Labels<Label extends string> = Readonly<Partial<Record<Label, string>>>

/**
 * A prom-client Counter whose label sets are counted here: at each scrape, its `collect` copies
 * the counts in (reset, then one `inc` per label set).
 *
 * @example
 * ```ts
 * const handled = new AccumulatedCounter(prom, { name: 'kafka_ipc_handled_total', help: '…', labelNames: ['service'], registers: [registry] })
 * handled.series({ service: 'pricing' }).value++
 * ```
 */
export class AccumulatedCounter<Label extends string> {
  readonly metric: Counter<Label>
  readonly #series: { readonly labels: Labels<Label>; readonly counted: CountSeries }[] = []

  constructor(prom: PromClient, config: { readonly name: string; readonly help: string; readonly labelNames: readonly Label[]; readonly registers: Registry[] }) {
    const all = this.#series
    this.metric = new prom.Counter<Label>({
      ...config,
      collect() {
        this.reset()
        for (const { labels, counted } of all) this.inc(labels, counted.value)
      },
    })
  }

  /** The count of one label set, made on first use; keep it, and increment its `value`. */
  series(labels: Labels<Label>): CountSeries {
    const counted = { value: 0 }
    this.#series.push({ labels, counted })
    return counted
  }
}

/** One label set of an {@link AccumulatedHistogram}: counts per bucket (not cumulative), sum and count. */
class HistogramSeries implements LatencySeries {
  readonly labels: Readonly<Record<string, string>>
  readonly #bounds: Float64Array
  /** One slot per bound, and a last one for what lies above every bound. */
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(labels: Readonly<Record<string, string>>, bounds: Float64Array) {
    this.labels = labels
    this.#bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(seconds: number): void {
    const bounds = this.#bounds
    let index = 0
    while (index < bounds.length && seconds > (bounds[index] ?? Infinity)) index++
    this.counts[index] = (this.counts[index] ?? 0) + 1
    this.sum += seconds
    this.count++
  }
}

/** A sample as a prom-client registry reads it from a metric's `get()`. */
interface Sample {
  readonly metricName: string
  readonly labels: Readonly<Record<string, string | number>>
  readonly value: number
}

/**
 * A histogram in the Prometheus text format, kept here and registered in a prom-client registry
 * as a metric of its own: the registry asks it for its samples (`get()`) at each scrape, as it
 * asks prom-client's own Histogram — the same `_bucket` (cumulative, `le`), `_sum` and `_count`
 * samples. prom-client's Histogram offers no way to set counts kept elsewhere.
 *
 * @example
 * ```ts
 * const latency = new AccumulatedHistogram(registry, 'kafka_ipc_call_duration_seconds', '…', [0.001, 0.01, 0.1, 1])
 * latency.series({ client: 'web' }).observe(0.0042)
 * ```
 */
export class AccumulatedHistogram {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly #bounds: Float64Array
  readonly #series: HistogramSeries[] = []

  constructor(registry: Registry, name: string, help: string, bounds: readonly number[]) {
    this.name = name
    this.help = help
    this.#bounds = Float64Array.from(bounds)
    // Registered as what the registry reads of a metric: its name, help, type and get().
    registry.registerMetric(this as unknown as Metric)
  }

  /** The observations of one label set, made on first use; keep it. */
  series(labels: Readonly<Record<string, string>>): LatencySeries {
    const series = new HistogramSeries(labels, this.#bounds)
    this.#series.push(series)
    return series
  }

  /** What prom-client's registry reads at each scrape. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = []
    const bucket = `${this.name}_bucket`
    for (const series of this.#series) {
      let cumulative = 0
      this.#bounds.forEach((bound, index) => {
        cumulative += series.counts[index] ?? 0
        values.push({ metricName: bucket, labels: { ...series.labels, le: bound }, value: cumulative })
      })
      values.push({ metricName: bucket, labels: { ...series.labels, le: '+Inf' }, value: series.count })
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum })
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count })
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values })
  }

  /** `registry.resetMetrics()`: every label set back to zero. */
  reset(): void {
    for (const series of this.#series) {
      series.counts.fill(0)
      series.sum = 0
      series.count = 0
    }
  }
}
