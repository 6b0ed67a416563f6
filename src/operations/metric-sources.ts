import type { Counter, Gauge } from 'prom-client'
import type { Client, ClientStats } from '../core/client.ts'
import { Service, type ConsumerLag, type ServiceStats } from '../core/service.ts'
import type { ScrapeCollectors } from './metric-families.ts'
import { timeUp, waitFor } from '../core/wait-for.ts'

/**
 * What the metrics read at each scrape: a Service (its client too) or a Client.
 *
 * @example
 * ```ts
 * const sources: MetricsSource[] = [app, createClient({ name: 'reports' })]
 * await prometheusMetrics({ sources })
 * ```
 */
export type MetricsSource = Service | Client

/**
 * The services and clients whose counters, in-flight figures and consumer lag are read at each
 * scrape, with how many users asked for each (a service given twice is read once, and stays until
 * both let go). Figures of sources with the same name are summed: two instances of one service in
 * one process show as one.
 *
 * @example
 * ```ts
 * const sources = new MetricSources(2_000)
 * sources.add(app)
 * createFamilies(prom, registry, prefix, buckets, sources.collectors)
 * ```
 */
export class MetricSources {
  readonly #held = new Map<MetricsSource, number>()
  readonly #lagTimeoutMs: number

  /** @param lagTimeoutMs how long a scrape waits for a service's consumer lag before leaving it out. */
  constructor(lagTimeoutMs: number) {
    this.#lagTimeoutMs = lagTimeoutMs
  }

  add(source: MetricsSource): void {
    this.#held.set(source, (this.#held.get(source) ?? 0) + 1)
  }

  release(source: MetricsSource): void {
    const count = this.#held.get(source) ?? 0
    if (count <= 1) this.#held.delete(source)
    else this.#held.set(source, count - 1)
  }

  readonly collectors: ScrapeCollectors = {
    handlersInFlight: (gauge) => {
      this.#fill(gauge, 'service', this.#services(), (stats) => stats.running)
    },
    undeliverable: (counter) => {
      this.#fill(counter, 'service', this.#services(), (stats) => stats.undeliverable)
    },
    eventRetries: (counter) => {
      this.#fill(counter, 'service', this.#services(), (stats) => stats.eventsRetried)
    },
    deadLetters: (counter) => {
      this.#fill(counter, 'service', this.#services(), (stats) => stats.deadLettered)
    },
    callsInFlight: (gauge) => {
      this.#fill(gauge, 'client', this.#clients(), (stats) => stats.pending)
    },
    timeouts: (counter) => {
      this.#fill(counter, 'client', this.#clients(), (stats) => stats.timeouts)
    },
    lateAnswers: (counter) => {
      this.#fill(counter, 'client', this.#clients(), (stats) => stats.lateAnswers)
    },
    malformedAnswers: (counter) => {
      this.#fill(counter, 'client', this.#clients(), (stats) => stats.malformedMessages)
    },
    consumerLag: async (gauge) => {
      const services = [...this.#held.keys()].filter((source) => source instanceof Service)
      const read = await Promise.all(services.map(async (service) => ({ service: service.name, lags: await this.#lagOf(service) })))
      gauge.reset()
      for (const { service, lags } of read) {
        for (const { group, topic, partition, lag } of lags) gauge.inc({ service, group, topic, partition: String(partition) }, lag)
      }
    },
  }

  /** Each service's stats by name. */
  #services(): Map<string, ServiceStats[]> {
    const byName = new Map<string, ServiceStats[]>()
    for (const source of this.#held.keys()) if (source instanceof Service) push(byName, source.name, source.stats())
    return byName
  }

  /** Each client's stats by name — a service's own client among them, under the service's name. */
  #clients(): Map<string, ClientStats[]> {
    const byName = new Map<string, ClientStats[]>()
    for (const source of this.#held.keys()) {
      const client = source instanceof Service ? source.client : source
      push(byName, client.name, client.stats())
    }
    return byName
  }

  /** Sets one series per name to the sum over its sources; a name with none left disappears. */
  #fill<Label extends string, S>(metric: Counter<Label> | Gauge<Label>, label: Label, byName: Map<string, S[]>, value: (stats: S) => number): void {
    metric.reset()
    for (const [name, all] of byName) {
      // A series of its own value: a counter cannot be set, so it is reset and incremented to it.
      metric.inc({ [label]: name } as Partial<Record<Label, string>>, all.reduce((sum, stats) => sum + value(stats), 0))
    }
  }

  /** A service's lag, or none when the broker does not answer within the time a scrape can wait. */
  async #lagOf(service: Service): Promise<ConsumerLag[]> {
    const lag = await waitFor(service.lag().catch((): ConsumerLag[] => []), this.#lagTimeoutMs)
    return lag === timeUp ? [] : lag
  }
}

function push<S>(byName: Map<string, S[]>, name: string, stats: S): void {
  const all = byName.get(name)
  if (all === undefined) byName.set(name, [stats])
  else all.push(stats)
}
