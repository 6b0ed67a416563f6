import type { DropContext, MessageInfo } from './pipeline/phases.ts'

/**
 * The context objects kafka-ipc's tracing channels publish, one per operation (docs/lifecycle.md).
 */

/**
 * Published on `kafka-ipc:handle` around one request a service handles (after its drop rules):
 * what hooks read of it — service, target (`POST /quotes/:id`, or the gather's name), id, caller,
 * topic, partition, offset, and the caller's application headers (`traceparent` among them).
 */
export interface HandleTrace extends Pick<MessageInfo, 'service' | 'target' | 'id' | 'caller' | 'topic' | 'partition' | 'offset' | 'headers'> {
  readonly kind: 'route' | 'stream' | 'gather'
  /**
   * How the request was routed: `declared` — to a route or gather this service declared, and
   * `target` is its declared name (one per route); `mounted` — to the mounted app (service.mount);
   * `none` — nowhere (404). For the last two `target` is the literal method and path asked for,
   * as many as callers make up: keep it out of metric labels.
   */
  readonly match: 'declared' | 'mounted' | 'none'
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
  /**
   * True for `client.fetch()`: `target` carries the literal path asked for (`pricing GET /quotes/42`),
   * not a declared route — keep it out of metric labels.
   */
  readonly literal?: boolean
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
 * Published on the plain channel `kafka-ipc:drop` for each record a service's drop rules take out
 * (malformed, a copy, expired, a refused reply target) — what an `onDrop` hook reads. Nothing is
 * built while nobody subscribes.
 *
 * @example
 * ```ts
 * diagnostics.drop.subscribe((drop: DropTrace) => console.warn(`${drop.service} dropped ${drop.topic}:${drop.partition}@${drop.offset} (${drop.reason})`))
 * ```
 */
export type DropTrace = DropContext
