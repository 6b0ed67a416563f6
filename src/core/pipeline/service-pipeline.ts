import type { GatherContract, RouteContract, StreamContract } from '../contracts.ts'
import type { DecorationValues } from '../decorations.ts'
import type { HandlerContext, IncomingRequest } from '../handler-types.ts'
import { type ErrorListener, type FailureKind, recordContext } from '../failure.ts'
import type { Envelope } from '../protocol/envelope.ts'
import type { Policy } from '../policy.ts'
import type { ReplyTargets } from '../protocol/reply-targets.ts'
import type { RunningRequests } from '../running-requests.ts'
import type { IncomingMessage, Transport } from '../transport.ts'
import type { MessageTracer } from '../message-tracing.ts'
import type { HookRegistry } from './hooks.ts'
import type { DeduplicationStore } from '../deduplication-store.ts'
import type { ClaimRenewals } from './claim-renewals.ts'
import type { DropContext, DropReason, FailedPhase, HandledKind, MessageInfo, ServiceHooks, ServicePhase } from './phases.ts'
import { channels } from '../tracing.ts'

/** A registered request handler, whatever its kind. */
export type Registered =
  | { readonly kind: 'route'; readonly contract: RouteContract; readonly handler: (request: IncomingRequest, context: HandlerContext) => unknown }
  | { readonly kind: 'stream'; readonly contract: StreamContract; readonly handler: (request: IncomingRequest, context: HandlerContext) => AsyncIterable<unknown> }
  | { readonly kind: 'gather'; readonly contract: GatherContract; readonly handler: (request: IncomingRequest, context: HandlerContext) => unknown }
  | { readonly kind: 'fetch'; readonly handler: FetchHandler }

/**
 * A fetch-style handler, mounted on a service: any `(request: Request) => Response` — a Hono
 * app's `fetch`, an adapted Fastify or Express app. The second argument is the call's context.
 */
export type FetchHandler = (request: Request, context: HandlerContext) => Response | Promise<Response>

/** A request's handler and the path parameters its route matched. */
export interface Routed {
  readonly registered: Registered
  readonly params: Record<string, string>
}

/**
 * A {@link Routed} as the service's router makes one for each request. A class, not a literal:
 * a request keeps its route until its reply is acknowledged, and V8 would allocate a literal's
 * later objects in the old generation, each keeping its young parameters alive until the next
 * full collection (docs/performance.md).
 *
 * @example
 * ```ts
 * const found = new RouteMatch(registered, { id: 'Q1' })
 * ```
 */
export class RouteMatch implements Routed {
  readonly registered: Registered
  readonly params: Record<string, string>

  constructor(registered: Registered, params: Record<string, string>) {
    this.registered = registered
    this.params = params
  }
}

/** Counters a service exposes through stats(). */
export interface ServiceCounters {
  handled: number
  failed: number
  /** Requests whose deadline had passed when they arrived: dropped unprocessed. */
  expired: number
  /** Requests naming a reply target that is not an existing partition of an inbox of this policy: dropped. */
  rejectedReplyTargets: number
  malformed: number
  cancelled: number
  /** Answers (replies, stream records, errors) the broker did not take before the request's deadline: dropped. */
  undeliverable: number
  eventsHandled: number
  eventsFailed: number
  /** Requests and events not run again because their record was a copy of one already consumed. */
  duplicates: number
  /** Event handler runs that failed and were tried again (policy.eventRetries). */
  eventsRetried: number
  /** Event records written to the service's dead-letter topic: they failed every run, or could not be read or validated. */
  deadLettered: number
}

/** What the service pipeline needs from its service: built once in listen(). */
export interface ServicePipelineDeps {
  readonly service: string
  readonly policy: Policy
  /** The service's consumer groups (topicNames.group and eventGroup), named once: a run's deduplication key starts with one. */
  readonly groups: { readonly requests: string; readonly events: string }
  readonly transport: Transport
  /** The service's own inbox address: it goes on stream records, so cancels come back here. */
  readonly inboxAddress: () => string | undefined
  readonly counters: ServiceCounters
  readonly onError: ErrorListener
  readonly hooks: HookRegistry<ServiceHooks>
  /** Running requests by id, so a cancel aborts them. */
  readonly running: RunningRequests
  /** The reply-address rules: answers go only to an existing partition of an inbox of this prefix. */
  readonly replyTargets: ReplyTargets
  /** Whether a record repeats one already consumed from its partition (a copy the broker stored twice). */
  readonly isCopy: (message: IncomingMessage, id: string) => boolean
  /** Where runs are remembered so a redelivered or retried message is not run twice; none keeps only {@link isCopy}'s window. */
  readonly deduplication: DeduplicationStore | undefined
  /** The claims this service holds in its store, renewed together while their runs go on. */
  readonly claimRenewals: ClaimRenewals
  /** Aborts every handler when the service closes. */
  readonly shutdown: AbortSignal
  /** Aborts as soon as close() starts, before in-flight handlers are waited for: an event waiting for a retry stops waiting and is left for the next owner. */
  readonly stopping: AbortSignal
  /** What the service carries for every handler. */
  readonly decorations: DecorationValues
  /** Spans around each record handled, when tracing is on (docs/operations.md#tracing). */
  readonly tracer: MessageTracer | undefined
}

/**
 * Reports a failure with its phase and the record's context, through the service's onError:
 * `target` is what the record asked for, `route` the route that took it (by default the same).
 */
export function reportFailure(deps: ServicePipelineDeps, kind: FailureKind, phase: FailedPhase, error: unknown, message: IncomingMessage, envelope: Pick<Envelope, 'id' | 'service'> | undefined, target?: string, route = target): void {
  deps.onError(error, { kind, phase, service: deps.service, ...(target === undefined ? {} : { target }), ...(route === undefined ? {} : { route }), ...recordContext(message, envelope) })
}

/**
 * An answer the broker would not take before the request's deadline: counted and reported once,
 * under the route that took the request (or, unrouted, what it asked for). No error answer
 * follows it — the same broker would not take that either.
 *
 * @example
 * ```ts
 * sending.catch((error: unknown) => { reportUndeliverable(deps, error, message, envelope, found) })
 * ```
 */
export function reportUndeliverable(deps: ServicePipelineDeps, error: unknown, message: IncomingMessage, envelope: Envelope, found: Routed | undefined): void {
  deps.counters.undeliverable++
  reportFailure(deps, 'answer-undeliverable', 'send', error, message, envelope, requestTarget(envelope), handledTarget(found, envelope))
}

/**
 * A record the drop rules took out: reported (copies are only counted) and shown to `onDrop`
 * hooks. Nothing is answered.
 */
export async function dropRecord(deps: ServicePipelineDeps, reason: DropReason, error: unknown, message: IncomingMessage, envelope: Pick<Envelope, 'id' | 'service'> | undefined, target?: string): Promise<void> {
  if (reason !== 'copy') reportFailure(deps, 'message-dropped', 'drop-rules', error, message, envelope, target)
  // kafka-ipc:drop and onDrop hooks read the same context, built only when one of them is there.
  const published = channels.drop.hasSubscribers
  if (!published && !deps.hooks.has('onDrop')) return
  const context: DropContext = { service: deps.service, reason, error, topic: message.topic, partition: message.partition, offset: message.offset, id: envelope?.id, caller: envelope?.service }
  if (published) channels.drop.publish(context)
  if (!deps.hooks.has('onDrop')) return
  await runReported(deps, 'onDrop', context, message, envelope)
}

/**
 * Runs hooks whose failure changes nothing for the message (onDrop, onError, onResponse, onTimeout,
 * onCancel): a failing hook is reported with its phase and the pipeline goes on.
 */
export async function runReported<P extends ServicePhase>(deps: ServicePipelineDeps, phase: P, context: ServiceHooks[P], message: IncomingMessage, envelope: Pick<Envelope, 'id' | 'service'> | undefined): Promise<void> {
  try {
    await deps.hooks.run(phase, context)
  } catch (error) {
    reportFailure(deps, 'handler-failed', phase, error, message, envelope)
  }
}

/** What a request asks for, `METHOD path`, for reports and hooks: built only when one needs it. */
export function requestTarget(envelope: Pick<Envelope, 'method' | 'path'>): string {
  return `${envelope.method ?? '?'} ${envelope.path ?? '?'}`
}

/**
 * What a handled request is, for hooks and traces: its route as declared (`POST /quotes/:id`, one
 * name per route whatever its parameters), its gather's name, or — unrouted — what it asked for.
 */
export function handledTarget(found: Routed | undefined, envelope: Pick<Envelope, 'method' | 'path'>): string {
  // A mounted app declares no routes: its requests are named by what they ask for.
  if (found === undefined || found.registered.kind === 'fetch') return requestTarget(envelope)
  const { contract } = found.registered
  return contract.kind === 'gather' ? contract.name : `${contract.method} ${contract.path}`
}

/** What kind of request a routed one is, for hooks and traces: a mounted app's requests are routes. */
export function handledKind(found: Routed | undefined): Exclude<HandledKind, 'event'> {
  const kind = found?.registered.kind ?? 'route'
  return kind === 'fetch' ? 'route' : kind
}

/** How a request was routed, for traces: to a declared route or gather, to the mounted app, or nowhere. */
export function handledMatch(found: Routed | undefined): 'declared' | 'mounted' | 'none' {
  if (found === undefined) return 'none'
  return found.registered.kind === 'fetch' ? 'mounted' : 'declared'
}

/** The info builder of a service without hooks: no phase asks for it, so none is built per record. */
export function noHooks(): never {
  throw new Error('kafka-ipc: no hook is registered, so no hook context is built')
}

/** What hooks read about a record: built once per record, and only when some hook is registered. */
export function messageInfo(deps: ServicePipelineDeps, kind: HandledKind, target: string, message: IncomingMessage, envelope: Envelope, headers: Readonly<Record<string, string>>, state: Record<string, unknown>): MessageInfo {
  return { service: deps.service, kind, target, id: envelope.id, caller: envelope.service, topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, headers, state }
}
