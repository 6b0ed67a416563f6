import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { HealthReport } from '../core/channel-health.ts'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { EventLoopWatch } from './event-loop-watch.ts'
import { metricsEndpoint, type ServedMetricsOptions } from './metrics-endpoint.ts'
import type { PrometheusMetrics } from './metrics.ts'
import { defaultProbeLimits, liveness, type ProbeInputs, type ProbeLimits, type ProbeResult, readiness, startup } from './probes.ts'

/** Anything with a health report: a Service or a Client. */
export interface HealthSource {
  health(): HealthReport
  /** A Client's: opens its inbox, which it otherwise opens on its first call — a probed client is ready before it calls. */
  ready?(): Promise<void>
}

/** Where the probe server listens and when its probes turn. */
export interface HealthServerOptions extends Partial<ProbeLimits> {
  /** Default 9464; 0 picks a free port (read it from `server.port`). */
  readonly port?: number
  /** Default `0.0.0.0`: the kubelet probes the pod's IP. */
  readonly host?: string
  /** The probe paths; defaults `/livez`, `/readyz`, `/startupz`. */
  readonly paths?: Partial<Record<'live' | 'ready' | 'startup', string>>
  /**
   * Prometheus metrics on `/metrics` (prom-client, loaded only then): on by default; `false` turns
   * them off; `{ registry, prefix, path, sources, … }` adds them to the application's own registry,
   * serves them elsewhere or reads more services and clients (docs/operations.md#metrics).
   */
  readonly metrics?: boolean | ServedMetricsOptions
}

/**
 * The port {@link serveHealth} listens on unless told otherwise: 9464, the port OpenTelemetry's
 * Prometheus exporter uses too. A manifest's probes and its scrape annotations name it
 * (examples/kubernetes).
 *
 * @example
 * ```ts
 * await serveHealth(app, { port: Number(process.env['HEALTH_PORT'] ?? defaultHealthPort) })
 * ```
 */
export const defaultHealthPort = 9464

/**
 * The probe paths {@link serveHealth} answers unless told otherwise — what a Kubernetes manifest's
 * `livenessProbe`, `readinessProbe` and `startupProbe` name.
 *
 * @example
 * ```ts
 * await fetch(`${probes.url}${defaultHealthPaths.ready}`)   // 200 once every channel consumes
 * ```
 */
export const defaultHealthPaths: Readonly<Record<'live' | 'ready' | 'startup', string>> = Object.freeze({ live: '/livez', ready: '/readyz', startup: '/startupz' })

/** A running probe server. */
export interface HealthServer {
  /** `http://host:port`, for logs and tests. */
  readonly url: string
  readonly port: number
  /** The metrics served on `/metrics`, unless turned off: `watch()` reads more services and clients. */
  readonly metrics: PrometheusMetrics | undefined
  /** Stops answering probes and the event-loop watch. */
  close(): Promise<void>
}

/**
 * Serves Kubernetes probes for a service (or client) on a small HTTP server of its own: liveness,
 * readiness and startup, each a `200` or `503` with JSON details, answered from state the service
 * already keeps (no broker round trip) — and Prometheus metrics on `/metrics` unless
 * `metrics: false` ({@link prometheusMetrics}). Off unless started — one line:
 *
 * @example
 * ```ts
 * const app = createService({ name: 'pricing' })
 * await app.listen()
 * const probes = await serveHealth(app, { port: 9464 })   // GET /livez, /readyz, /startupz, /metrics
 * process.once('SIGTERM', () => void app.close().then(() => probes.close()))
 * ```
 */
export async function serveHealth(source: HealthSource, options: HealthServerOptions = {}): Promise<HealthServer> {
  const limits: ProbeLimits = { ...defaultProbeLimits, ...definedLimits(options) }
  // A client opens its inbox on its first call; probed, it would never start without one. A
  // failure to open shows in its health (starting), which is what the probes report.
  source.ready?.().catch(() => undefined)
  const metrics = await metricsEndpoint(source, options.metrics)
  const paths = { live: options.paths?.live ?? defaultHealthPaths.live, ready: options.paths?.ready ?? defaultHealthPaths.ready, startup: options.paths?.startup ?? defaultHealthPaths.startup }
  // Loaded here, not with the module: importing node:http loads Node's fetch stack too (about 3 MiB
  // of a process's memory), which a service that serves no probes should not pay for.
  const { createServer } = await import('node:http')
  const watch = new EventLoopWatch()
  const inputs = (): ProbeInputs => ({ report: source.health(), longestStallMs: watch.longestStallWithin(limits.stallWindowMs), now: Date.now() })
  const probes = new Map<string, () => ProbeResult>([
    [paths.live, () => liveness(inputs(), limits)],
    [paths.ready, () => readiness(inputs(), limits)],
    [paths.startup, () => startup(inputs())],
  ])
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/'
    if (metrics !== undefined && path === metrics.path && (request.method === 'GET' || request.method === 'HEAD')) {
      metrics.serve(response, request.method === 'HEAD')
      return
    }
    const probe = request.method === 'GET' || request.method === 'HEAD' ? probes.get(path) : undefined
    if (probe === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no probe at ${request.method ?? '?'} ${path.slice(0, 100)}`, probes: paths }))
      return
    }
    const { ok, body } = probe()
    response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : JSON.stringify(body))
  })
  const port = await listen(server, options.port ?? defaultHealthPort, options.host ?? '0.0.0.0').catch((error: unknown) => {
    watch.stop()
    metrics?.metrics.close()
    throw error
  })
  return {
    url: `http://${options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${String(port)}`,
    port,
    metrics: metrics?.metrics,
    close: () =>
      new Promise<void>((resolve) => {
        watch.stop()
        metrics?.metrics.close()
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

function definedLimits(options: HealthServerOptions): Partial<ProbeLimits> {
  const limits: Partial<Record<keyof ProbeLimits, number>> = {}
  for (const key of ['brokerGraceMs', 'stallMs', 'stallWindowMs', 'stuckMs'] as const) {
    const value = options[key]
    if (value === undefined) continue
    if (!Number.isFinite(value) || value < 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `serveHealth: ${key} must be a non-negative number of milliseconds, got ${String(value)}.`)
    limits[key] = value
  }
  return limits
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new KafkaIpcError('KIPC_PORT_IN_USE', `The health probe port ${String(port)} on ${host} is already in use; choose another with the port option.`, { cause: error }) : error)
    })
    server.listen(port, host, () => {
      resolve((server.address() as AddressInfo).port)
    })
  })
}
