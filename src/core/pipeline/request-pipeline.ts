import type { HandleTrace } from '../trace-contexts.ts'
import { channels, traced } from '../tracing.ts'
import { webRequest } from '../http/web-messages.ts'
import { isWebResponse } from '../http/is-web-response.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { type Envelope, readEnvelope, wireHeader } from '../protocol/envelope.ts'
import { decodeBody, impliedContentType } from '../protocol/bodies.ts'
import { userHeaders } from '../protocol/headers.ts'
import { checkBodySize } from '../protocol/body-size.ts'
import { checkKind } from '../protocol/record-checks.ts'
import type { RefusedTarget, ReplyTarget } from '../protocol/reply-targets.ts'
import { validate } from '../schema.ts'
import type { IncomingMessage } from '../transport.ts'
import type { ConsumeSpan } from '../message-tracing.ts'
import type { FailedPhase, MessageInfo, Outcome } from './phases.ts'
import { dropRecord, handledKind, handledMatch, handledTarget, messageInfo, noHooks, type Registered, requestTarget, type Routed, runReported, type ServicePipelineDeps } from './service-pipeline.ts'
import { streamItems } from './stream-items.ts'
import { Answers, handlerMistake, replyHeaders, replyStatus, validReply } from './answers.ts'
import { ReceivedRequest, RequestContext } from './request-context.ts'
import { type HandlerRan, runRouteAtOnce } from './route-at-once.ts'
import { sendResponse } from './response-answers.ts'
import { isFirstRun } from './run-once.ts'
import { type HeldClaim, runKey } from './held-claim.ts'
import type { CreditWindow } from '../stream-credit.ts'

/**
 * The service pipeline for one record of a request or gather topic (docs/lifecycle.md): receive →
 * drop rules (version, kind, copy, deadline, reply target) → route → `onReceive` → decode →
 * validate → `preHandler` → handler → serialize → `onSend` → send → `onResponse`; a failure goes
 * through `onError` to an error answer, a deadline or a cancel while the handler runs ends in
 * `onTimeout` or `onCancel` with nothing sent. Answers go to the caller's inbox and nowhere else.
 *
 * @example
 * ```ts
 * transport.subscribe({ …, onMessage: (message) => handleRequest(deps, message, (topic, envelope) => router.find(topic, envelope)) })
 * ```
 */
export function handleRequest(deps: ServicePipelineDeps, message: IncomingMessage, route: (topic: string, envelope: Envelope) => Routed | undefined): PromiseLike<void> {
  // Not an async function: a request that passes the drop rules makes no promise of its own here.
  let envelope: Envelope | undefined
  try {
    if (message.rejected !== undefined) throw message.rejected
    envelope = readEnvelope(message.headers)
    checkKind('requests', envelope, message.topic)
  } catch (error) {
    deps.counters.malformed++
    return dropRecord(deps, 'malformed', error, message, envelope)
  }
  if (deps.isCopy(message, envelope.id)) {
    deps.counters.duplicates++
    return dropRecord(deps, 'copy', undefined, message, envelope)
  }
  const now = Date.now()
  if (envelope.deadline !== undefined && envelope.deadline <= now) {
    deps.counters.expired++
    return dropRecord(deps, 'expired', new KafkaIpcError('KIPC_TIMEOUT', `Dropped request ${envelope.id}: its deadline had passed ${now - envelope.deadline} ms before it was consumed.`), message, envelope, requestTarget(envelope))
  }
  // Known inboxes are checked at once; only an inbox's first request waits for the broker.
  const replyTarget = deps.replyTargets.resolve(envelope.replyTo)
  const read = envelope
  if (replyTarget instanceof Promise) return replyTarget.then((target) => answerTo(deps, message, read, route, now, target))
  return answerTo(deps, message, envelope, route, now, replyTarget)
}

/** The reply-target rule, then the handling of a request that passed every drop rule. */
function answerTo(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, route: (topic: string, envelope: Envelope) => Routed | undefined, now: number, replyTarget: ReplyTarget | RefusedTarget): PromiseLike<void> {
  const { policy, counters } = deps
  if ('refused' in replyTarget) {
    counters.rejectedReplyTargets++
    return dropRecord(deps, 'reply-target', new KafkaIpcError('KIPC_PROTOCOL_ERROR', `Dropped request ${envelope.id}: ${replyTarget.refused}.`), message, envelope, requestTarget(envelope))
  }
  // A request without a deadline gets the policy's timeout; one further ahead than the policy's
  // maximum is cut down to it (a timer cannot wait past 2^31−1 ms: it would fire at once).
  const deadline = Math.min(envelope.deadline ?? now + policy.timeoutMs, now + policy.maxTimeoutMs)
  const found = route(message.topic, envelope)
  // With a deduplication store, a request already run (a redelivery, a retry) is answered from it.
  const store = deps.deduplication
  if (store === undefined || found === undefined) return handleRouted(deps, message, envelope, found, replyTarget, deadline, undefined)
  const key = runKey(deps.groups.requests, envelope.service, envelope.id)
  const held = isFirstRun(deps, store, key, message, envelope, replyTarget, deadline)
  if (held instanceof Promise) return held.then((claimed) => (claimed === undefined ? undefined : handleRouted(deps, message, envelope, found, replyTarget, deadline, claimed)))
  return handleRouted(deps, message, envelope, found, replyTarget, deadline, held)
}

/** Runs a routed request's handling, traced when `kafka-ipc:handle` has subscribers. */
function handleRouted(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, found: Routed | undefined, replyTarget: ReplyTarget, deadline: number, held: HeldClaim | undefined): PromiseLike<void> {
  const headers = userHeaders(message.headers, impliedContentType(message.headers, message.value.byteLength > 0, deps.policy.codec))
  // Checked here rather than in traced(): an untraced request builds no closures for it.
  if (!channels.handle.hasSubscribers) {
    const handling = new Handling(deps, envelope, message, found, replyTarget, deadline, headers, undefined, held)
    // Nothing watches this run — no hook, no tracer: a typed route's request may be answered without an async function.
    if (found !== undefined && (found.registered.kind === 'route' || found.registered.kind === 'gather') && deps.hooks.isEmpty && deps.tracer?.enabled() !== true) return runRouteAtOnce(handling, found.registered, found.params, runHandler)
    return runHandler(handling)
  }
  const kind = handledKind(found)
  const name = handledTarget(found, envelope)
  return traced(
    channels.handle,
    (): HandleTrace => ({ service: deps.service, kind, target: name, match: handledMatch(found), id: envelope.id, caller: envelope.service, topic: message.topic, partition: message.partition, offset: message.offset, headers }),
    (trace) => runHandler(new Handling(deps, envelope, message, found, replyTarget, deadline, headers, trace, held)),
  )
}

/** The route a typed route or stream declares (`/quotes/:id`), for spans; gathers and mounted apps declare none. */
function declaredRoute(found: Routed | undefined): string | undefined {
  const registered = found?.registered
  return registered?.kind === 'route' || registered?.kind === 'stream' ? registered.contract.path : undefined
}

/** A mounted handler must answer with a Response; anything else is its bug, told plainly. */
function checkResponse(response: unknown): Response {
  if (response instanceof Response) return response
  throw new KafkaIpcError('KIPC_HANDLER_ERROR', `A mounted handler must return a Response (or a promise of one), got ${response === null ? 'null' : typeof response}.`)
}

/**
 * One request past its drop rules, and what its handling needs. A class, not an object literal:
 * a handling lives as long as its handler runs, and under load V8 would allocate a literal's later
 * objects in the old generation, where each keeps its young request alive until the next full
 * collection (protocol/outgoing-record.ts).
 *
 * @example
 * ```ts
 * runHandler(new Handling(deps, envelope, message, found, replyTarget, deadline, headers, undefined, held))
 * ```
 */
export class Handling {
  readonly deps: ServicePipelineDeps
  readonly envelope: Envelope
  readonly message: IncomingMessage
  readonly found: Routed | undefined
  readonly replyTarget: ReplyTarget
  readonly deadline: number
  readonly headers: Readonly<Record<string, string>>
  /** Filled in when `kafka-ipc:handle` is traced. */
  readonly trace: HandleTrace | undefined
  /** The claim this run holds in the service's deduplication store, told how the run ends. */
  readonly held: HeldClaim | undefined
  /** The record's span, when a tracer traces it (docs/operations.md#tracing). */
  readonly span: ConsumeSpan | undefined

  constructor(deps: ServicePipelineDeps, envelope: Envelope, message: IncomingMessage, found: Routed | undefined, replyTarget: ReplyTarget, deadline: number, headers: Readonly<Record<string, string>>, trace: HandleTrace | undefined, held: HeldClaim | undefined, span?: ConsumeSpan) {
    this.deps = deps
    this.envelope = envelope
    this.message = message
    this.found = found
    this.replyTarget = replyTarget
    this.deadline = deadline
    this.headers = headers
    this.trace = trace
    this.held = held
    this.span = span
  }

  /** The same handling under the record's span. */
  withSpan(span: ConsumeSpan): Handling {
    return new Handling(this.deps, this.envelope, this.message, this.found, this.replyTarget, this.deadline, this.headers, this.trace, this.held, span)
  }
}

/**
 * Routes, decodes, validates, runs the handler and answers — with the hooks of each phase. With
 * `ran`, a typed route's handler already ran ({@link runRouteAtOnce}): its result or failure is
 * answered from there on.
 */
async function runHandler(handling: Handling, ran?: HandlerRan): Promise<void> {
  const { deps, envelope, message, found, replyTarget, deadline, headers, trace, span } = handling
  // Asked per record, so that a tracer registered after listen() is honoured; untraced, no span is built.
  if (span === undefined && deps.tracer?.enabled() === true) {
    const consumed = deps.tracer.consume({ kind: handledKind(found), service: deps.service, group: deps.groups.requests, message, envelope, route: declaredRoute(found) })
    return consumed.run(() => runHandler(handling.withSpan(consumed), ran))
  }
  const { policy, counters, hooks } = deps
  const startedAt = Date.now()
  const state: Record<string, unknown> = ran?.context.state ?? {}
  // What hooks read: built once, and only for a service that has hooks.
  let info: MessageInfo | undefined
  const infoOf = hooks.isEmpty ? noHooks : (): MessageInfo => (info ??= messageInfo(deps, handledKind(found), handledTarget(found, envelope), message, envelope, headers, state))
  const answers = new Answers(deps, envelope, message, replyTarget, deadline, infoOf, found)
  const { held } = handling
  if (held !== undefined) answers.recordReplyWith((reply) => held.settle(true, reply))
  const finish = (outcome: Outcome, error: unknown): Promise<void> | undefined => {
    if (trace !== undefined) {
      trace.outcome = outcome
      trace.status = answers.lastStatus
      if (outcome === 'failed') trace.error = error
    }
    span?.settle(outcome, answers.lastStatus, error)
    if (hooks.has('onResponse')) return runReported(deps, 'onResponse', { ...infoOf(), outcome, status: answers.lastStatus, durationMs: Date.now() - startedAt }, message, envelope)
    return undefined
  }
  if (found === undefined) {
    const notFound = new KafkaIpcError('KIPC_NOT_FOUND', `${deps.service} has no route ${requestTarget(envelope)}.`)
    await answers.fail('route', notFound, 'message-dropped')
    await finish('failed', notFound)
    return
  }
  const { registered } = found
  // Aborted with KIPC_TIMEOUT once the deadline passes, by the one timer that watches every running request.
  const controller = ran?.controller ?? deps.running.start(envelope.id, deadline)
  const at: Progress = { phase: 'onReceive' }
  let outcome: Outcome = 'answered'
  let failure: unknown
  try {
    // A run handed on from runRouteAtOnce had no hooks to run: it is past them.
    if (ran === undefined && hooks.has('onReceive')) await hooks.run('onReceive', infoOf())
    at.phase = 'decode'
    checkBodySize(message.value.byteLength, policy.maxMessageBytes, 'request')
    const context = ran?.context ?? new RequestContext(controller.signal, deadline, envelope.service, state, deps.decorations)
    // Flow control for a caller that asked for it (a stream or a fetch): an older one never sends credit.
    const credit = envelope.window === undefined || envelope.window === 0 ? undefined : deps.running.limit(envelope.id, envelope.window)
    if (registered.kind === 'fetch') {
      // A mounted app reads the bytes itself, as it would from a socket.
      const request = webRequest(deps.service, { method: envelope.method ?? 'POST', path: envelope.path ?? '/', query: envelope.query }, headers, message.value, controller.signal)
      if (hooks.has('preHandler')) {
        at.phase = 'preHandler'
        await hooks.run('preHandler', { ...infoOf(), body: message.value })
      }
      at.phase = 'handler'
      const response = await registered.handler(request, context)
      at.phase = 'send'
      await sendResponse(deps, answers, checkResponse(response), controller.signal, credit)
    } else {
      await answerTyped({ handling, registered, params: found.params, answers, context, signal: controller.signal, credit, infoOf, at, ran })
    }
    counters.handled++
  } catch (error) {
    const { phase } = at
    failure = phase === 'handler' || phase === 'serialize' || phase === 'send' ? handlerMistake(error) : error
    outcome = await answers.settle(phase, failure, controller.signal)
  } finally {
    deps.running.finish(envelope.id)
  }
  // Settled already when a reply was recorded before its send; else finished (a stream) or released.
  const settled = handling.held?.settle(failure === undefined, undefined)
  if (settled !== undefined) await settled
  const finished = finish(outcome, failure)
  if (finished !== undefined) await finished
}

/** Where a handling has got to: the phase a failure is reported in. */
interface Progress {
  phase: FailedPhase
}

/** A typed route's or stream's handling, past the phases every request shares. */
interface TypedAnswer {
  readonly handling: Handling
  readonly registered: Exclude<Registered, { kind: 'fetch' }>
  readonly params: Record<string, string>
  readonly answers: Answers
  readonly context: RequestContext
  readonly signal: AbortSignal
  readonly credit: CreditWindow | undefined
  readonly infoOf: () => MessageInfo
  readonly at: Progress
  /** The handler's run, when it already ran. */
  readonly ran: HandlerRan | undefined
}

/**
 * Runs a typed route's or stream's handler (unless it ran already) and sends its answer. It
 * returns the send's promise without waiting for it, and the decoding, validation and handler
 * call happen in a function of their own: what they made — the decoded and validated body, the
 * request — is then free while the reply waits for the broker's acknowledgement, where an async
 * function's frame that awaited the send would keep all of it alive until then
 * (docs/performance.md).
 */
async function answerTyped(typed: TypedAnswer): Promise<void> {
  const { handling, registered, answers, context, signal, credit, at, ran } = typed
  // A stream's items are sent as its handler yields them (streamItems); it is never handed on.
  if (registered.kind === 'stream') return runTypedHandler(typed) as Promise<void>
  const result = ran === undefined ? await runTypedHandler(typed) : await handedOn(ran, at)
  at.phase = 'send'
  if (isWebResponse(result)) return sendResponse(handling.deps, answers, result, signal, credit)
  at.phase = 'serialize'
  // The common answer, a plain body, builds nothing more than the reply itself.
  let reply = validReply(result, registered.contract.reply, handling.deps.policy)
  if (reply instanceof Promise) reply = (await reply) as unknown
  if (signal.aborted) throw signal.reason
  at.phase = 'send'
  answers.respondWith(replyHeaders(result, context))
  const sending = answers.send('reply', { status: replyStatus(result, context) }, reply)
  // The handler is done and its one answer on its way: it no longer counts as running, as on the quick way.
  handling.deps.running.finish(handling.envelope.id)
  return sending
}

/** What the handler that already ran returned, or its failure thrown, in the handler phase. */
function handedOn(ran: HandlerRan, at: Progress): unknown {
  at.phase = 'handler'
  if ('error' in ran) throw ran.error
  return ran.returned
}

/**
 * Decodes and validates a typed route's or stream's request and runs its handler: a stream's
 * items are sent (the promise of their sending), a route's handler's result is returned.
 */
async function runTypedHandler(typed: TypedAnswer): Promise<unknown> {
  const { handling, registered, answers, context, credit, at } = typed
  const { deps, envelope, message, headers } = handling
  const { policy, hooks } = deps
  let raw: unknown
  try {
    raw = decodeBody(message.value, message.headers.get(wireHeader.contentType), policy.codec)
  } catch (error) {
    throw new KafkaIpcError('KIPC_BAD_REQUEST', 'The request body could not be decoded.', { cause: error })
  }
  at.phase = 'validate'
  let body = validate(registered.contract.body, raw, 'KIPC_BAD_REQUEST', 'request body')
  // Awaited only when the schema is asynchronous: a microtask per request saved otherwise.
  if (body instanceof Promise) body = (await body) as unknown
  if (hooks.has('preHandler')) {
    at.phase = 'preHandler'
    await hooks.run('preHandler', { ...typed.infoOf(), body })
  }
  at.phase = 'handler'
  const request = new ReceivedRequest(envelope.id, envelope.method ?? 'POST', envelope.path ?? '/', typed.params, headers, body, message.key, envelope.query)
  if (registered.kind === 'stream') {
    // The headers go with the first record: the generator may set them until it yields.
    let first = true
    return streamItems(deps, registered, request, context, (kind, fields, item) => {
      if (first) {
        first = false
        answers.respondWith(context.responseHeaders())
      }
      return answers.send(kind, fields, item)
    }, credit)
  }
  return registered.handler(request, context)
}
