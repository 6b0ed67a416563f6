import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import type { Logger } from '../core/logger.ts'

/** What shuts down on a signal: a Service (or a Client). */
export interface Closable {
  readonly name: string
  close(): Promise<void>
}

/** When and how a service shuts itself down. */
export interface ShutdownOptions {
  /** The signals that start a graceful shutdown; default SIGTERM (Kubernetes) and SIGINT (Ctrl-C). */
  readonly signals?: readonly ('SIGTERM' | 'SIGINT' | 'SIGHUP')[]
  /** How long the shutdown may take before the process exits anyway (ms); default 25 000, under Kubernetes' 30 s grace. */
  readonly graceMs?: number
}

/**
 * How long a graceful shutdown may take (ms) unless `graceMs` says otherwise: 25 s, under
 * Kubernetes' default `terminationGracePeriodSeconds` of 30 s. A pod with a `preStop` hook needs a
 * grace period of at least the hook's time plus this (examples/kubernetes).
 *
 * @example
 * ```ts
 * const terminationGracePeriodSeconds = Math.ceil((preStopMs + defaultShutdownGraceMs + 5_000) / 1000)
 * ```
 */
export const defaultShutdownGraceMs = 25_000

/**
 * One process-wide listener per signal, for every service that asked: a second one would not help.
 * Services are held weakly: one the application dropped (a test's, say) is not kept alive here.
 */
const registered = new Set<{ readonly target: WeakRef<Closable>; readonly logger: Logger; readonly graceMs: number; readonly signals: ReadonlySet<string> }>()
const listening = new Map<string, () => void>()
let shuttingDown = false

/**
 * Shuts `target` down gracefully when the process gets one of `signals`: it stops consuming, lets
 * the handlers in flight finish and answer, commits, leaves its consumer groups and deletes its
 * inbox (`close()`), then — when no listener of the application's own is waiting on the signal —
 * exits 0. A shutdown that outlasts `graceMs` exits 1; a second signal exits at once (128 + its
 * number, as a shell reports it). `createService` arranges this by default.
 *
 * @example
 * ```ts
 * const app = new Service({ name: 'pricing', transport })
 * shutdownOnSignals(app, stderrLogger(), { signals: ['SIGTERM'], graceMs: 10_000 })
 * ```
 */
export function shutdownOnSignals(target: Closable, logger: Logger, options: ShutdownOptions = {}): void {
  const graceMs = options.graceMs ?? defaultShutdownGraceMs
  if (!Number.isFinite(graceMs) || graceMs <= 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `shutdown graceMs must be a positive number of ms, got ${String(graceMs)}.`)
  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  registered.add({ target: new WeakRef(target), logger, graceMs, signals: new Set(signals) })
  for (const signal of signals) {
    if (listening.has(signal)) continue
    const listener = (): void => {
      onSignal(signal, listener)
    }
    listening.set(signal, listener)
    // First in line: it sees the application's own listeners — even `once` ones, which Node removes
    // as it calls them — before any of them runs, and so knows whether the exit is its to make.
    process.prependListener(signal, listener)
  }
}

function onSignal(signal: string, ours: () => void): void {
  const applicationListens = process.listeners(signal as NodeJS.Signals).some((listener) => listener !== ours)
  if (shuttingDown) {
    // A second signal: the operator wants out now.
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15))
  }
  shuttingDown = true
  // Only the services that asked for this signal; the others are the application's to close.
  const targets = [...registered].flatMap((entry) => {
    const target = entry.signals.has(signal) ? entry.target.deref() : undefined
    if (target === undefined && entry.target.deref() === undefined) registered.delete(entry)
    return target === undefined ? [] : [{ target, logger: entry.logger, graceMs: entry.graceMs }]
  })
  const graceMs = Math.max(0, ...targets.map((entry) => entry.graceMs))
  for (const { target, logger } of targets) logger.info({ service: target.name, signal, graceMs }, `${target.name}: ${signal} received, shutting down (finishing the requests in flight, at most ${String(graceMs)} ms)`)
  const timer = setTimeout(() => {
    for (const { target, logger } of targets) logger.error({ service: target.name, signal, graceMs }, `${target.name}: shutdown took longer than ${String(graceMs)} ms; exiting`)
    process.exit(1)
  }, graceMs)
  timer.unref()
  void Promise.allSettled(targets.map(({ target }) => target.close())).then((results) => {
    clearTimeout(timer)
    results.forEach((result, index) => {
      const entry = targets[index]
      if (entry !== undefined && result.status === 'rejected') entry.logger.error({ service: entry.target.name, error: result.reason as unknown }, `${entry.target.name}: close failed during shutdown`)
    })
    // The application's own listeners own the exit; with none, this one exits as the signal would have.
    if (!applicationListens) process.exit(results.every((result) => result.status === 'fulfilled') ? 0 : 1)
  })
}
