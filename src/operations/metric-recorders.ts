import { diagnostics, type TraceSubscribers } from '../core/diagnostics.ts'
import { isKafkaIpcError, RemoteError } from '../core/kafka-ipc-error.ts'
import type { CallTrace, DropTrace, EmitTrace, EventTrace, HandleTrace } from '../core/trace-contexts.ts'
import type { CountSeries, LatencySeries } from './accumulated-metrics.ts'
import type { MetricFamilies } from './metric-families.ts'

/** One label set's counter and histogram, bound once: a record costs an increment and an observation. */
interface Series {
  readonly count: CountSeries
  readonly duration: LatencySeries
}

/**
 * Label-bound series by two strings and a small number, in nested maps: finding the series of a
 * record builds no key string. The number packs the labels with few values (outcome, status, kind).
 */
class SeriesTable<S> {
  readonly #outer = new Map<string, Map<string, Map<number, S>>>()

  find(a: string, b: string, key: number): S | undefined {
    return this.#outer.get(a)?.get(b)?.get(key)
  }

  add(a: string, b: string, key: number, series: S): S {
    let middle = this.#outer.get(a)
    if (middle === undefined) this.#outer.set(a, (middle = new Map<string, Map<number, S>>()))
    let inner = middle.get(b)
    if (inner === undefined) middle.set(b, (inner = new Map<number, S>()))
    inner.set(key, series)
    return series
  }
}

/** Where a subscriber keeps an operation's start on its context object, as the channels allow. */
const startedAt = Symbol('kafka-ipc metrics: started at')
type Timed = Record<typeof startedAt, number | undefined>

function markStart(trace: object): void {
  ;(trace as Timed)[startedAt] = performance.now()
}

function secondsSince(trace: object): number {
  const started = (trace as Partial<Timed>)[startedAt]
  return started === undefined ? 0 : (performance.now() - started) / 1_000
}

const handleKinds = ['route', 'stream', 'gather', 'event'] as const
const handleOutcomes = ['answered', 'failed', 'timed-out', 'cancelled', 'handled'] as const
const callKinds = ['call', 'stream', 'gather'] as const
const callOutcomes = ['ok', 'error', 'timeout', 'cancelled', 'failed'] as const
const dropReasons = ['malformed', 'copy', 'expired', 'reply-target'] as const
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** Status labels made once each: no number is turned into a string per record. */
const statusLabels: string[] = []
function statusLabel(status: number): string {
  return (statusLabels[status] ??= String(status))
}

/**
 * The method of a request a target names (`GET /quotes/42`, or after a service's name
 * `pricing GET /quotes/42`), as an index of {@link methods}; `methods.length` for any other.
 */
function methodIndex(target: string, from: number): number {
  for (let index = 0; index < methods.length; index++) {
    const method = methods[index] ?? ''
    if (target.startsWith(method, from) && target.charCodeAt(from + method.length) === 32) return index
  }
  return methods.length
}

/** The route label of a request that named no declared route: its method, never its path. */
function unboundedRoute(trace: HandleTrace): string {
  if (trace.match === 'none') return '(unmatched)'
  return `${methods[methodIndex(trace.target, 0)] ?? 'OTHER'} (mounted)`
}

function callOutcome(error: unknown): number {
  if (error === undefined) return 0
  if (error instanceof RemoteError) return 1
  if (isKafkaIpcError(error, 'KIPC_TIMEOUT')) return 2
  if (isKafkaIpcError(error, 'KIPC_CANCELLED')) return 3
  return 4
}

/**
 * Subscribes kafka-ipc's metrics to its diagnostics channels: each handled request and event,
 * each call, stream, gather and emit, each dropped record becomes an increment and (but drops) a
 * latency observation on a series bound once per label set. Label values are bounded: routes as
 * declared, a mounted app's requests by method only, `client.fetch()` targets by service and method.
 *
 * @example
 * ```ts
 * const recorders = new ChannelRecorders(families)
 * recorders.subscribe()
 * // … on close
 * recorders.unsubscribe()
 * ```
 */
export class ChannelRecorders {
  readonly #families: MetricFamilies
  readonly #handled = new SeriesTable<Series>()
  readonly #calls = new SeriesTable<Series>()
  readonly #emits = new SeriesTable<Series>()
  readonly #drops = new Map<string, CountSeries[]>()
  /** `client.fetch()` target labels by requests topic and method: `pricing GET (fetch)`. */
  readonly #fetchTargets = new Map<string, string[]>()
  readonly #handle: TraceSubscribers<HandleTrace> = { start: markStart, asyncEnd: (trace) => { this.#onHandled(trace) } }
  readonly #event: TraceSubscribers<EventTrace> = { start: markStart, asyncEnd: (trace) => { this.#onEvent(trace) } }
  readonly #call: TraceSubscribers<CallTrace> = { start: markStart, asyncEnd: (trace) => { this.#onCall(trace) } }
  readonly #emit: TraceSubscribers<EmitTrace> = { start: markStart, asyncEnd: (trace) => { this.#onEmit(trace) } }
  readonly #drop = (message: DropTrace): void => {
    this.#onDrop(message)
  }

  constructor(families: MetricFamilies) {
    this.#families = families
  }

  subscribe(): void {
    diagnostics.handle.subscribe(this.#handle)
    diagnostics.event.subscribe(this.#event)
    diagnostics.call.subscribe(this.#call)
    diagnostics.emit.subscribe(this.#emit)
    diagnostics.drop.subscribe(this.#drop)
  }

  unsubscribe(): void {
    diagnostics.handle.unsubscribe(this.#handle)
    diagnostics.event.unsubscribe(this.#event)
    diagnostics.call.unsubscribe(this.#call)
    diagnostics.emit.unsubscribe(this.#emit)
    diagnostics.drop.unsubscribe(this.#drop)
  }

  #onHandled(trace: HandleTrace): void {
    const route = trace.match === 'declared' ? trace.target : unboundedRoute(trace)
    const outcome = Math.max(0, handleOutcomes.indexOf((trace.outcome ?? 'failed') as (typeof handleOutcomes)[number]))
    const series = this.#handledSeries(trace.service, handleKinds.indexOf(trace.kind), route, outcome, trace.status ?? 0)
    series.count.value++
    series.duration.observe(secondsSince(trace))
  }

  #onEvent(trace: EventTrace): void {
    const series = this.#handledSeries(trace.service, 3, trace.name, trace.outcome === 'handled' ? 4 : 1, 0)
    series.count.value++
    series.duration.observe(secondsSince(trace))
  }

  /** Status in the key's high part, outcome and kind below it: one number per label combination. */
  #handledSeries(service: string, kind: number, route: string, outcome: number, status: number): Series {
    const key = (status * 8 + outcome) * 4 + kind
    const found = this.#handled.find(service, route, key)
    if (found !== undefined) return found
    const { handled, handleDuration } = this.#families
    const labels = { service, kind: handleKinds[kind] ?? 'route', route, outcome: handleOutcomes[outcome] ?? 'failed' }
    // No status label when nothing was answered (an event, a timed-out request): not an empty one.
    return this.#handled.add(service, route, key, { count: handled.series(status === 0 ? labels : { ...labels, status: statusLabel(status) }), duration: handleDuration.series(labels) })
  }

  #onCall(trace: CallTrace): void {
    const target = trace.literal === true ? this.#fetchTarget(trace) : trace.target
    const kind = callKinds.indexOf(trace.kind)
    const outcome = callOutcome(trace.error)
    const key = outcome * 4 + kind
    let series = this.#calls.find(trace.client, target, key)
    if (series === undefined) {
      const labels = { client: trace.client, kind: trace.kind, target, outcome: callOutcomes[outcome] ?? 'failed' }
      series = this.#calls.add(trace.client, target, key, { count: this.#families.calls.series(labels), duration: this.#families.callDuration.series(labels) })
    }
    series.count.value++
    series.duration.observe(secondsSince(trace))
  }

  /** A fetch's target names the literal path (`pricing GET /quotes/42`): labelled by service and method only. */
  #fetchTarget(trace: CallTrace): string {
    const service = trace.target.indexOf(' ')
    const method = methodIndex(trace.target, service + 1)
    let byMethod = this.#fetchTargets.get(trace.topic)
    if (byMethod === undefined) this.#fetchTargets.set(trace.topic, (byMethod = []))
    return (byMethod[method] ??= `${trace.target.slice(0, Math.max(0, service))} ${methods[method] ?? 'OTHER'} (fetch)`)
  }

  #onEmit(trace: EmitTrace): void {
    const outcome = trace.error === undefined ? 0 : 1
    let series = this.#emits.find(trace.client, trace.name, outcome)
    if (series === undefined) {
      const labels = { client: trace.client, event: trace.name, outcome: outcome === 0 ? 'ok' : 'failed' }
      series = this.#emits.add(trace.client, trace.name, outcome, { count: this.#families.emitted.series(labels), duration: this.#families.emitDuration.series(labels) })
    }
    series.count.value++
    series.duration.observe(secondsSince(trace))
  }

  #onDrop(message: DropTrace): void {
    let byReason = this.#drops.get(message.service)
    if (byReason === undefined) {
      const { dropped } = this.#families
      byReason = dropReasons.map((reason) => dropped.series({ service: message.service, reason }))
      this.#drops.set(message.service, byReason)
    }
    const counted = byReason[dropReasons.indexOf(message.reason)]
    if (counted !== undefined) counted.value++
  }
}
