import { channel, type TracingChannel, tracingChannel } from 'node:diagnostics_channel'
import type { CallTrace, EmitTrace, EventTrace, HandleTrace } from './trace-contexts.ts'

/**
 * The tracing channels themselves, with Node's types, for the pipeline that publishes on them;
 * `diagnostics` (diagnostics.ts) is the same objects as subscribers see them.
 */
export const channels = {
  handle: tracingChannel<HandleTrace, HandleTrace>('kafka-ipc:handle'),
  event: tracingChannel<EventTrace, EventTrace>('kafka-ipc:event'),
  call: tracingChannel<CallTrace, CallTrace>('kafka-ipc:call'),
  emit: tracingChannel<EmitTrace, EmitTrace>('kafka-ipc:emit'),
  /** A plain channel, not a tracing one: a dropped record is a moment, not an operation (DropTrace). */
  drop: channel('kafka-ipc:drop'),
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
 * const trace = openTrace(channels.call, () => ({ client: 'web', kind: 'stream', target, topic }))
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
