import type { CallTrace, DropTrace, EmitTrace, EventTrace, HandleTrace } from './trace-contexts.ts'
import { channels } from './tracing.ts'

export type { CallTrace, DropTrace, EmitTrace, EventTrace, HandleTrace } from './trace-contexts.ts'

/** What a subscriber to one of kafka-ipc's tracing channels may give: any of the five events. */
export interface TraceSubscribers<Context extends object> {
  start?: (context: Context) => void
  end?: (context: Context) => void
  asyncStart?: (context: Context) => void
  asyncEnd?: (context: Context) => void
  error?: (context: Context) => void
}

/**
 * One of kafka-ipc's tracing channels, as a subscriber sees it: a `node:diagnostics_channel`
 * TracingChannel (typed here without Node's types, so that a program without `@types/node` can
 * use kafka-ipc).
 */
export interface TraceChannel<Context extends object> {
  readonly hasSubscribers: boolean
  subscribe(subscribers: TraceSubscribers<Context>): void
  unsubscribe(subscribers: TraceSubscribers<Context>): boolean
}

/**
 * One of kafka-ipc's plain `node:diagnostics_channel` channels, as a subscriber sees it: one
 * message per moment (a dropped record), no start or end.
 *
 * @example
 * ```ts
 * const drops: MessageChannel<DropTrace> = diagnostics.drop
 * const count = (drop: DropTrace): void => { dropped.inc({ reason: drop.reason }) }
 * drops.subscribe(count)
 * ```
 */
export interface MessageChannel<Message extends object> {
  readonly hasSubscribers: boolean
  subscribe(listener: (message: Message) => void): void
  unsubscribe(listener: (message: Message) => void): boolean
}

/** kafka-ipc's tracing channels by operation (see {@link diagnostics}). */
export interface Diagnostics {
  /** `kafka-ipc:handle`: one request a service handles. */
  readonly handle: TraceChannel<HandleTrace>
  /** `kafka-ipc:event`: one event a service handles. */
  readonly event: TraceChannel<EventTrace>
  /** `kafka-ipc:call`: one call, stream or gather. */
  readonly call: TraceChannel<CallTrace>
  /** `kafka-ipc:emit`: one event emitted. */
  readonly emit: TraceChannel<EmitTrace>
  /** `kafka-ipc:drop` (a plain channel): one record a service's drop rules took out, with its reason. */
  readonly drop: MessageChannel<DropTrace>
}

/**
 * kafka-ipc's `node:diagnostics_channel` tracing channels, one per operation, each with its
 * context object above, and the plain channel `kafka-ipc:drop` for records the drop rules take out.
 * Metrics exporters and tracers subscribe to them; nothing is published — and no context object is
 * built — while nobody does. The same channels are reachable by name through
 * `tracingChannel('kafka-ipc:handle')`, `channel('kafka-ipc:drop')` and the like.
 *
 * @example
 * ```ts
 * import { diagnostics } from 'kafka-ipc'
 * const started = new WeakMap<object, number>()
 * diagnostics.handle.subscribe({
 *   start: (trace) => started.set(trace, performance.now()),
 *   asyncEnd: (trace) => histogram.observe({ route: trace.target, outcome: trace.outcome }, performance.now() - (started.get(trace) ?? 0)),
 * })
 * ```
 */
// Node's own types ask for all five subscribers; at run time any subset is taken.
export const diagnostics: Diagnostics = channels as unknown as Diagnostics
