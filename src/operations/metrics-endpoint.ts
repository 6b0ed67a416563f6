import { Client } from '../core/client.ts'
import { Service } from '../core/service.ts'
import { type MetricsOptions, type PrometheusMetrics, prometheusMetrics } from './metrics.ts'

/**
 * What `serveHealth`'s `metrics` option takes besides `true` and `false`.
 *
 * @example
 * ```ts
 * await serveHealth(app, { metrics: { registry, path: '/prom' } satisfies ServedMetricsOptions })
 * ```
 */
export interface ServedMetricsOptions extends MetricsOptions {
  /** Where the probe server answers a scrape; default `/metrics`. */
  readonly path?: string
}

/** What a scrape's answer is written to: the part of `node:http`'s ServerResponse used here, typed without Node's types so that a program without `@types/node` can use kafka-ipc. */
export interface ScrapeResponse {
  writeHead(status: number, headers: Record<string, string>): { end(body?: string): unknown }
}

/** The `/metrics` path of a probe server: the exposition, answered on GET and HEAD. */
export interface MetricsEndpoint {
  readonly path: string
  readonly metrics: PrometheusMetrics
  /** Answers one scrape: `200` with the text, or `500` when collecting failed. */
  serve(response: ScrapeResponse, head: boolean): void
}

/**
 * The metrics a probe server serves for `source` (a Service or Client is also read at each
 * scrape), or undefined when turned off (`false`). On by default: a pod's probe port is where
 * Prometheus looks (examples/kubernetes annotates it).
 *
 * @example
 * ```ts
 * const endpoint = await metricsEndpoint(app, options.metrics)
 * if (endpoint !== undefined && path === endpoint.path) endpoint.serve(response, request.method === 'HEAD')
 * ```
 */
export async function metricsEndpoint(source: object, option: boolean | ServedMetricsOptions | undefined): Promise<MetricsEndpoint | undefined> {
  if (option === false) return undefined
  const options: ServedMetricsOptions = option === true || option === undefined ? {} : option
  const own = source instanceof Service || source instanceof Client ? [source] : []
  const metrics = await prometheusMetrics({ ...options, sources: [...(options.sources ?? []), ...own] })
  return {
    path: options.path ?? '/metrics',
    metrics,
    serve(response, head) {
      metrics.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(head ? undefined : text)
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(head ? undefined : `collecting metrics failed: ${(error as Error).message}`)
        },
      )
    },
  }
}
