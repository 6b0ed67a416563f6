import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel'

/** Published on `kafka-ipc:handle` around one request a service handles (after its drop rules). */
export interface HandleTrace {
  readonly service: string
  readonly kind: 'route' | 'stream' | 'gather'
  /** `POST /quotes`, or the gather's name. */
  readonly target: string
  readonly id: string
  readonly caller: string | undefined
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  /** The caller's application headers (`traceparent` among them when it sent one). */
  readonly headers: Readonly<Record<string, string>>
  /** Set when handling ended: `answered`, `failed`, `timed-out` or `cancelled`. */
  outcome?: string
  /** The status answered, when an answer was sent. */
  status?: number | undefined
  /** Set on the error channel: why handling failed. */
  error?: unknown
}

/** Published on `kafka-ipc:event` around one event a service handles. */
export interface EventTrace {
  readonly service: string
  readonly name: string
  readonly id: string
  readonly source: string | undefined
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly headers: Readonly<Record<string, string>>
  outcome?: string
  error?: unknown
}

/** Published on `kafka-ipc:call` around one call, stream or gather, from send to its last answer. */
export interface CallTrace {
  readonly client: string
  readonly kind: 'call' | 'stream' | 'gather'
  /** `pricing POST /quotes`, or `gather seat.hold`. */
  readonly target: string
  readonly topic: string
  /** The request's `kipc-id`, set once the request is built (before `start` for streams, after it for calls and gathers). */
  id?: string
  /** Set on the error channel. */
  error?: unknown
}

/** Published on `kafka-ipc:emit` around one event sent, until the broker acknowledged it. */
export interface EmitTrace {
  readonly client: string
  readonly name: string
  readonly topic: string
  readonly key: string | undefined
  id?: string
  error?: unknown
}

/**
 * kafka-ipc's `node:diagnostics_channel` tracing channels, one per operation, each with its
 * context object above. Metrics exporters and tracers subscribe to them; nothing is published —
 * and no context object is built — while nobody does.
 *
 * @example
 * ```ts
 * import { diagnostics } from 'kafka-ipc'
 * diagnostics.handle.subscribe({
 *   start: (trace) => { trace.startedAt = performance.now() },
 *   asyncEnd: (trace) => { histogram.observe({ route: trace.target, outcome: trace.outcome }, performance.now() - trace.startedAt) },
 * })
 * ```
 */
export const diagnostics = {
  handle: tracingChannel<HandleTrace, HandleTrace>('kafka-ipc:handle'),
  event: tracingChannel<EventTrace, EventTrace>('kafka-ipc:event'),
  call: tracingChannel<CallTrace, CallTrace>('kafka-ipc:call'),
  emit: tracingChannel<EmitTrace, EmitTrace>('kafka-ipc:emit'),
} as const

/** A trace opened by hand, for work that is no single promise (a stream, read item by item). */
export interface OpenTrace {
  /** Ends the trace: `error` (when given) on the error channel, then asyncStart and asyncEnd. */
  close(error?: unknown): void
}

/**
 * Publishes `start` and `end` for `context` now, when somebody subscribes, and returns how to end
 * it later; undefined when nobody does.
 *
 * @example
 * ```ts
 * const trace = openTrace(diagnostics.call, () => ({ client: 'web', kind: 'stream', target, topic }))
 * // … when the stream ends
 * trace?.close(failure)
 * ```
 */
export function openTrace<T extends { error?: unknown }>(channel: TracingChannel<T, T>, context: () => T): OpenTrace | undefined {
  if (!channel.hasSubscribers) return undefined
  const trace = context()
  channel.start.publish(trace)
  channel.end.publish(trace)
  let closed = false
  return {
    close: (error) => {
      if (closed) return
      closed = true
      if (error !== undefined) {
        trace.error = error
        channel.error.publish(trace)
      }
      channel.asyncStart.publish(trace)
      channel.asyncEnd.publish(trace)
    },
  }
}

/**
 * Runs `work` inside the channel's trace when somebody subscribes, else runs it bare. The context
 * is built by `context()` only when traced. `failed` tells, from the work's result, whether to
 * publish on the error channel (kafka-ipc answers failures rather than throwing them).
 */
export function traced<T extends { error?: unknown }, R>(channel: TracingChannel<T, T>, context: () => T, work: (trace: T | undefined) => Promise<R>): Promise<R> {
  if (!channel.hasSubscribers) return work(undefined)
  const trace = context()
  return channel.tracePromise(async () => {
    const result = await work(trace)
    // kafka-ipc answers a failure instead of throwing it: the work sets trace.error, and the
    // error channel hears of it before asyncEnd, as it would of a rejection.
    if (trace.error !== undefined) channel.error.publish(trace)
    return result
  }, trace)
}
