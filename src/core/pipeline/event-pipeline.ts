import type { EventContract } from '../contracts.ts'
import type { EventTrace } from '../trace-contexts.ts'
import { channels, traced } from '../tracing.ts'
import type { EventHandler } from '../handler-types.ts'
import { isKafkaIpcError, KafkaIpcError } from '../kafka-ipc-error.ts'
import { type Envelope, readEnvelope, wireHeader } from '../protocol/envelope.ts'
import { decodeBody, impliedContentType } from '../protocol/bodies.ts'
import { userHeaders } from '../protocol/headers.ts'
import { checkBodySize } from '../protocol/body-size.ts'
import { checkKind } from '../protocol/record-checks.ts'
import { topicNames } from '../protocol/topic-names.ts'
import { validate } from '../schema.ts'
import { type IncomingMessage, LeaveUncommitted } from '../transport.ts'
import type { Policy } from '../policy.ts'
import { type DeadLetterFailure, pause, sendDeadLetter } from './dead-letters.ts'
import type { ConsumeSpan } from '../message-tracing.ts'
import type { FailedPhase, MessageInfo, Outcome } from './phases.ts'
import { backoffDelay } from '../backoff.ts'
import { isThenable } from '../is-thenable.ts'
import { isFirstEventRun } from './run-once.ts'
import { type HeldClaim, runKey } from './held-claim.ts'
import { dropRecord, messageInfo, noHooks, reportFailure, runReported, type ServicePipelineDeps } from './service-pipeline.ts'

/** An event subscription: its contract and handler. */
export interface Subscribed {
  readonly contract: EventContract
  readonly handler: EventHandler<EventContract>
}

/**
 * The service pipeline for one record of an event topic — the request pipeline without its answer
 * phases (docs/lifecycle.md): receive → drop rules (version, kind, copy) → route → `onReceive` →
 * decode (size) → validate → `preHandler` → handler → `onResponse`; a failure goes through
 * `onError` and is reported. A failed run is tried again (`policy.eventRetries`); an event that
 * fails every run, or cannot be decoded or validated, goes to the service's dead-letter topic —
 * and only then is its offset committed (docs/reliability.md#retries-and-dead-letters).
 *
 * @example
 * ```ts
 * transport.subscribe({ …, onMessage: (message) => handleEvent(deps, message, (topic) => subscriptionsByTopic.get(topic)) })
 * ```
 */
export function handleEvent(deps: ServicePipelineDeps, message: IncomingMessage, subscribed: (topic: string) => Subscribed | undefined): Promise<void> | undefined {
  const { counters } = deps
  // Looked up by topic: no name is parsed out of it for a record that has a subscription.
  const subscription = subscribed(message.topic)
  let envelope: Envelope | undefined
  try {
    if (message.rejected !== undefined) throw message.rejected
    envelope = readEnvelope(message.headers)
    checkKind('events', envelope, message.topic)
    if (subscription === undefined) throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', `No subscription to the event topic ${message.topic}.`)
  } catch (error) {
    counters.eventsFailed++
    const failedAt = Date.now()
    // Unreadable, but not lost: reported, then kept in the dead-letter topic for a person to read.
    return dropRecord(deps, 'malformed', error, message, envelope, eventName(deps, message.topic)).then(() => sendDeadLetter(deps, message, { reason: 'malformed', error, attempts: 0, firstFailureAt: failedAt, lastFailureAt: failedAt }))
  }
  const name = subscription.contract.name
  if (deps.isCopy(message, envelope.id)) {
    counters.duplicates++
    return dropRecord(deps, 'copy', undefined, message, envelope, name)
  }
  // With a deduplication store, an event already run (a redelivery after a crash) is dropped.
  const store = deps.deduplication
  if (store === undefined) return traceEvent(deps, message, envelope, subscription, name, undefined)
  const key = runKey(deps.groups.events, envelope.service, envelope.id)
  const read = envelope
  const held = isFirstEventRun(deps, store, key, message, envelope, name)
  if (!(held instanceof Promise)) return held === undefined ? undefined : traceEvent(deps, message, read, subscription, name, held)
  return held.then((claimed) => (claimed === undefined ? undefined : traceEvent(deps, message, read, subscription, name, claimed)))
}

/** Runs an event's handling, traced when `kafka-ipc:event` has subscribers. */
function traceEvent(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, subscription: Subscribed, name: string, held: HeldClaim | undefined): Promise<void> | undefined {
  const headers = userHeaders(message.headers, impliedContentType(message.headers, message.value.byteLength > 0, deps.policy.codec))
  if (!channels.event.hasSubscribers) {
    // Nothing watches this run — no hook, no tracer: it may finish without a promise.
    if (deps.hooks.isEmpty && deps.tracer?.enabled() !== true) return runEventAtOnce(deps, message, envelope, subscription, name, headers, held)
    return runEventHandler(deps, message, envelope, subscription, name, headers, held, undefined)
  }
  return traced(
    channels.event,
    (): EventTrace => ({ service: deps.service, name, id: envelope.id, source: envelope.service, topic: message.topic, partition: message.partition, offset: message.offset, headers }),
    (trace) => runEventHandler(deps, message, envelope, subscription, name, headers, held, trace),
  )
}

/**
 * One event's run when nothing watches it (no hooks, untraced), finished synchronously when all
 * goes well: decode, validate, a synchronous handler, the claim settled — no promise, no async
 * frame, no microtask, which at tens of thousands of events a second is much of what the layer
 * above the client costs (docs/performance.md). Anything else — a body that does not decode or
 * validate, an asynchronous schema or handler, a handler that throws — continues in
 * {@link runEventHandler}, which reads, retries and dead-letters exactly as it always does.
 */
function runEventAtOnce(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, subscription: Subscribed, name: string, headers: Readonly<Record<string, string>>, held: HeldClaim | undefined): Promise<void> | undefined {
  const { policy } = deps
  let body: unknown
  try {
    checkBodySize(message.value.byteLength, policy.maxMessageBytes, 'event')
    body = validate(subscription.contract.body, decodeBody(message.value, message.headers.get(wireHeader.contentType), policy.codec), 'KIPC_BAD_REQUEST', `event ${name}`)
  } catch {
    // Read again where failures are classified, reported and dead-lettered: decoding is pure.
    return runEventHandler(deps, message, envelope, subscription, name, headers, held, undefined)
  }
  // An asynchronous schema: its failure is the validate phase's, as runEventHandler reads it.
  if (body instanceof Promise) {
    return body.then(
      (validated: unknown) => runValidatedEvent(deps, message, envelope, subscription, name, headers, held, validated),
      () => runEventHandler(deps, message, envelope, subscription, name, headers, held, undefined),
    )
  }
  return runValidatedEvent(deps, message, envelope, subscription, name, headers, held, body)
}

/** The handler's first run on a valid event, for {@link runEventAtOnce}. */
function runValidatedEvent(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, subscription: Subscribed, name: string, headers: Readonly<Record<string, string>>, held: HeldClaim | undefined, body: unknown): Promise<void> | undefined {
  const state: Record<string, unknown> = {}
  let ran: unknown
  try {
    ran = callHandler(deps, message, envelope, subscription, name, headers, body, state, 1)
  } catch (error) {
    return runEventHandler(deps, message, envelope, subscription, name, headers, held, undefined, undefined, { body, state, error })
  }
  if (!isThenable(ran)) return handled(deps, held)
  return Promise.resolve(ran).then(
    () => handled(deps, held),
    (error: unknown) => runEventHandler(deps, message, envelope, subscription, name, headers, held, undefined, undefined, { body, state, error }),
  )
}

/** Calls the subscription's handler once — run `attempt` — with the event and its context; what it returns or throws is the caller's. */
function callHandler(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, subscription: Subscribed, name: string, headers: Readonly<Record<string, string>>, body: unknown, state: Record<string, unknown>, attempt: number): unknown {
  return subscription.handler(
    { id: envelope.id, name, headers, body, key: message.key, source: envelope.service },
    { signal: deps.shutdown, topic: message.topic, partition: message.partition, offset: message.offset, state, decorations: deps.decorations, attempt },
  )
}

/** A run that finished: counted, and its claim settled (a store that answers later is awaited). */
function handled(deps: ServicePipelineDeps, held: HeldClaim | undefined): Promise<void> | undefined {
  deps.counters.eventsHandled++
  const told = held?.settle(true, undefined)
  return told === undefined ? undefined : told
}

/** A first run of the handler that failed in {@link runEventAtOnce}: the rest of the run goes on from there. */
interface FailedFirstRun {
  readonly body: unknown
  readonly state: Record<string, unknown>
  readonly error: unknown
}

/** Decodes, validates and runs one event's handler — with the hooks of each phase. */
async function runEventHandler(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, subscription: Subscribed, name: string, headers: Readonly<Record<string, string>>, held: HeldClaim | undefined, trace: EventTrace | undefined, span?: ConsumeSpan, failedFirst?: FailedFirstRun): Promise<void> {
  // Asked per record, so that a tracer registered after listen() is honoured; untraced, no span is built.
  if (span === undefined && failedFirst === undefined && deps.tracer?.enabled() === true) {
    const consumed = deps.tracer.consume({ kind: 'event', service: deps.service, group: deps.groups.events, message, envelope, route: undefined })
    return consumed.run(() => runEventHandler(deps, message, envelope, subscription, name, headers, held, trace, consumed))
  }
  const { policy, counters, hooks } = deps
  const startedAt = Date.now()
  const state: Record<string, unknown> = failedFirst?.state ?? {}
  let info: MessageInfo | undefined
  const infoOf = hooks.isEmpty ? noHooks : (): MessageInfo => (info ??= messageInfo(deps, 'event', name, message, envelope, headers, state))
  let phase: FailedPhase = 'onReceive'
  let outcome: Outcome = 'handled'
  let failure: unknown
  let attempts = 0
  let firstFailureAt: number | undefined
  let deadLetter: DeadLetterFailure | undefined
  try {
    let body: unknown
    if (failedFirst === undefined) {
      if (hooks.has('onReceive')) await hooks.run('onReceive', infoOf())
      phase = 'decode'
      checkBodySize(message.value.byteLength, policy.maxMessageBytes, 'event')
      const raw = decodeBody(message.value, message.headers.get(wireHeader.contentType), policy.codec)
      phase = 'validate'
      body = validate(subscription.contract.body, raw, 'KIPC_BAD_REQUEST', `event ${name}`)
      // Awaited only when the schema is asynchronous: a microtask per event saved otherwise.
      if (body instanceof Promise) body = (await body) as unknown
    } else {
      body = failedFirst.body
      phase = 'handler'
    }
    // A failed run is tried again (policy.eventRetries) while another run may mend it; this key's
    // later events wait, the partition's other keys run on.
    for (;;) {
      attempts++
      try {
        // The first run already failed in runEventAtOnce: taken as this attempt's failure.
        if (attempts === 1 && failedFirst !== undefined) throw failedFirst.error
        if (hooks.has('preHandler')) {
          phase = 'preHandler'
          await hooks.run('preHandler', { ...infoOf(), body })
        }
        phase = 'handler'
        const ran = callHandler(deps, message, envelope, subscription, name, headers, body, state, attempts)
        // A synchronous handler is not awaited: nothing to wait for, and a microtask saved.
        if (isThenable(ran)) await ran
        break
      } catch (error) {
        firstFailureAt ??= Date.now()
        if (attempts >= policy.eventRetries.maxAttempts || !mayRetry(error)) throw error
        // Stopping: the next owner of the partition runs it again, rather than a dead letter too soon.
        const stopped = (): LeaveUncommitted => new LeaveUncommitted(`${deps.service} stopped before run ${String(attempts + 1)} of event ${envelope.id}`)
        if (deps.stopping.aborted) throw stopped()
        counters.eventsRetried++
        await pause(retryDelay(attempts, policy.eventRetries), deps.stopping)
        // The flag changes while the pause awaits: read it through the signal object.
        if ((deps.stopping as { readonly aborted: boolean }).aborted) throw stopped()
      }
    }
    counters.eventsHandled++
  } catch (error) {
    outcome = 'failed'
    failure = error
    if (trace !== undefined) trace.error = error
    counters.eventsFailed++
    if (!(error instanceof LeaveUncommitted)) {
      // A record that breaks the protocol or the size limit was never the handler's to fail.
      const dropped = phase === 'decode' && isKafkaIpcError(error) && (error.code === 'KIPC_PROTOCOL_ERROR' || error.code === 'KIPC_PAYLOAD_TOO_LARGE')
      reportFailure(deps, dropped ? 'message-dropped' : 'handler-failed', phase, error, message, envelope, name)
      if (hooks.has('onError')) await runReported(deps, 'onError', { ...infoOf(), error, phase }, message, envelope)
      const now = Date.now()
      deadLetter = { reason: dropped ? 'malformed' : phase === 'decode' || phase === 'validate' ? 'invalid' : 'failed', error, attempts: phase === 'decode' || phase === 'validate' || phase === 'onReceive' ? 0 : attempts, firstFailureAt: firstFailureAt ?? now, lastFailureAt: now }
    }
  }
  let settled = false
  try {
    // The offset is committed only once the dead letter is acknowledged (or left uncommitted).
    if (failure instanceof LeaveUncommitted) throw failure
    if (deadLetter !== undefined) await sendDeadLetter(deps, message, deadLetter)
    settled = true
  } finally {
    // Handled or dead-lettered, the event is done; left for the next owner, it may run again.
    const told = held?.settle(settled, undefined)
    if (told !== undefined) await told
    if (trace !== undefined) trace.outcome = outcome
    span?.settle(outcome, undefined, failure)
    if (hooks.has('onResponse')) await runReported(deps, 'onResponse', { ...infoOf(), outcome, status: undefined, durationMs: Date.now() - startedAt }, message, envelope)
  }
}

/**
 * Whether another run of an event's handler may succeed: a KafkaIpcError says so itself
 * (`retryable`; an application's own codes are not, unless it says); a hook that threw something
 * else, and any other error — a dependency down, a timeout — may be passing.
 */
function mayRetry(error: unknown): boolean {
  if (!isKafkaIpcError(error)) return true
  return error.retryable || error.code === 'KIPC_HOOK_FAILED'
}

/** The wait before run `attempts + 1`: doubling from the initial delay up to the maximum, with jitter (50–100 %) so that a fleet's retries spread out. */
function retryDelay(attempts: number, retries: Policy['eventRetries']): number {
  return backoffDelay(attempts - 1, retries.initialDelayMs, retries.maxDelayMs)
}

/** The event an event topic carries, for a report about a record nobody subscribed to. */
function eventName(deps: ServicePipelineDeps, topic: string): string {
  const parsed = topicNames.parse(deps.policy, topic)
  return parsed?.kind === 'event' ? parsed.name : topic
}
