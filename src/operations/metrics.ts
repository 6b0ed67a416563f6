import type { Registry } from 'prom-client'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { createFamilies, defaultBuckets, type MetricFamilies, removeFamilies } from './metric-families.ts'
import { ChannelRecorders } from './metric-recorders.ts'
import { MetricSources, type MetricsSource } from './metric-sources.ts'

export type { MetricsSource } from './metric-sources.ts'

/**
 * How to export kafka-ipc's Prometheus metrics (see {@link prometheusMetrics}).
 *
 * @example
 * ```ts
 * const options: MetricsOptions = { registry, prefix: 'shop_kipc_', sources: [app, client], lagTimeoutMs: 1_000 }
 * ```
 */
export interface MetricsOptions {
  /**
   * A prom-client `Registry` to add kafka-ipc's metrics to — the application's own, so that one
   * scrape returns both. Default: a registry of kafka-ipc's own.
   */
  readonly registry?: Registry
  /** Prefix of every metric name; default `kafka_ipc_`. */
  readonly prefix?: string
  /** Services and clients whose in-flight figures, timeouts, late answers and consumer lag are read at each scrape (more with `watch`). */
  readonly sources?: readonly MetricsSource[]
  /** Histogram buckets in seconds; default 1 ms to 30 s ({@link defaultBuckets}). */
  readonly buckets?: readonly number[]
  /** How long a scrape waits for a service's consumer lag (a broker round trip) before leaving it out; default 2000 ms. */
  readonly lagTimeoutMs?: number
}

/**
 * kafka-ipc's metrics in a prom-client registry (see {@link prometheusMetrics}).
 *
 * @example
 * ```ts
 * const metrics = await prometheusMetrics({ sources: [app] })
 * metrics.watch(reportingClient)
 * server.on('request', (request, response) => void metrics.metrics().then((text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text)))
 * process.once('SIGTERM', () => metrics.close())
 * ```
 */
export interface PrometheusMetrics {
  /** The registry holding them: the one passed in, or kafka-ipc's own. */
  readonly registry: Registry
  /** Also reads this service's or client's figures at each scrape, until close(). */
  watch(source: MetricsSource): this
  /** The registry's metrics in the text exposition format — the application's own too, when it passed its registry. */
  metrics(): Promise<string>
  /** The content type of {@link metrics}' text, for the `content-type` header. */
  readonly contentType: string
  /**
   * Lets go: the sources this handle watched are no longer read, and once every handle on the
   * registry has closed, the channels are unsubscribed and the metrics leave the registry.
   */
  close(): void
}

/** kafka-ipc's metrics in one registry under one prefix, shared by every handle asking for them. */
interface Shared {
  readonly families: MetricFamilies
  readonly recorders: ChannelRecorders
  readonly sources: MetricSources
  handles: number
}

const sharedByRegistry = new WeakMap<Registry, Map<string, Shared>>()

/**
 * Exports kafka-ipc's metrics in Prometheus format through prom-client (loaded now, on first use —
 * never by `import 'kafka-ipc'`): requests, events and calls by service, route and outcome with
 * latency histograms on both sides, dropped records by reason, emitted events, and — read at each
 * scrape from the services and clients given — handlers and calls in flight, timeouts, late
 * answers and consumer lag per partition. docs/operations.md#metrics lists them.
 *
 * The counts come from the diagnostics channels, process-wide: while metrics are on, every
 * request and call of the process is traced (docs/performance.md measures the cost). `serveHealth`
 * serves them on `/metrics`; use this to serve them from a server of your own.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client'
 * const registry = new Registry()                       // the application's, with its own metrics
 * await prometheusMetrics({ registry, sources: [app] })
 * fastify.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()))
 * ```
 */
export async function prometheusMetrics(options: MetricsOptions = {}): Promise<PrometheusMetrics> {
  const prefix = options.prefix ?? 'kafka_ipc_'
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(`${prefix}x`)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Metric prefix ${JSON.stringify(prefix)} must be letters, digits, '_' or ':', not starting with a digit.`)
  const buckets = checkBuckets(options.buckets ?? defaultBuckets)
  const lagTimeoutMs = options.lagTimeoutMs ?? 2_000
  if (!Number.isFinite(lagTimeoutMs) || lagTimeoutMs <= 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `lagTimeoutMs must be a positive number of milliseconds, got ${String(lagTimeoutMs)}.`)
  const prom = await import('prom-client')
  const registry = options.registry ?? new prom.Registry()
  let byPrefix = sharedByRegistry.get(registry)
  if (byPrefix === undefined) sharedByRegistry.set(registry, (byPrefix = new Map<string, Shared>()))
  let shared = byPrefix.get(prefix)
  if (shared === undefined) {
    const sources = new MetricSources(lagTimeoutMs)
    const before = new Set(registry.getMetricsAsArray().map(nameOf))
    let families: MetricFamilies
    try {
      families = createFamilies(prom, registry, prefix, buckets, sources.collectors)
    } catch (error) {
      // Those created before the clash leave again: the registry stays as it was.
      for (const name of registry.getMetricsAsArray().map(nameOf)) if (!before.has(name)) registry.removeSingleMetric(name)
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `The registry already holds a metric named like kafka-ipc's (${(error as Error).message}); choose another prefix.`, { cause: error })
    }
    const recorders = new ChannelRecorders(families)
    recorders.subscribe()
    shared = { families, recorders, sources, handles: 0 }
    byPrefix.set(prefix, shared)
  }
  return handleOn(registry, prefix, shared, options.sources ?? [])
}

function handleOn(registry: Registry, prefix: string, shared: Shared, initial: readonly MetricsSource[]): PrometheusMetrics {
  shared.handles++
  const watched: MetricsSource[] = []
  let closed = false
  const handle: PrometheusMetrics = {
    registry,
    contentType: registry.contentType,
    watch(source) {
      if (closed) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', 'These metrics are closed.')
      watched.push(source)
      shared.sources.add(source)
      return handle
    },
    metrics: () => registry.metrics(),
    close() {
      if (closed) return
      closed = true
      for (const source of watched.splice(0)) shared.sources.release(source)
      if (--shared.handles > 0) return
      shared.recorders.unsubscribe()
      removeFamilies(registry, shared.families)
      sharedByRegistry.get(registry)?.delete(prefix)
    },
  }
  for (const source of initial) handle.watch(source)
  return handle
}

/** A registered metric's name: prom-client keeps it on every metric object; its types do not declare it. */
function nameOf(metric: object): string {
  return String((metric as { readonly name?: unknown }).name)
}

function checkBuckets(buckets: readonly number[]): readonly number[] {
  const valid = buckets.length > 0 && buckets.every((bound, index) => Number.isFinite(bound) && bound > 0 && (index === 0 || bound > (buckets[index - 1] ?? 0)))
  if (!valid) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `buckets must be increasing positive numbers of seconds, got ${JSON.stringify(buckets)}.`)
  return buckets
}
