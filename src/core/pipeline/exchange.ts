import type { RequestArgs } from '../call-types.ts'
import type { ConsumerWatch } from '../consumer-watch.ts'
import type { DeadlineLists, Expiring, ExpiringList } from '../deadline-lists.ts'
import type { CallTrace } from '../trace-contexts.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { type Answer, type PendingCalls, type PendingEntry, answerContentType } from '../pending-calls.ts'
import type { Policy } from '../policy.ts'
import { buildMessage } from '../protocol/envelope.ts'
import { remoteError } from '../protocol/error-body.ts'
import { checkOutgoingHeaders, userHeaders } from '../protocol/headers.ts'
import { checkMessageId, newMessageId } from '../protocol/message-id.ts'
import { queryString } from '../http/query.ts'
import type { OutgoingMessage, SendReceipt } from '../transport.ts'
import type { CallSpan, MessageTracer, SendSpan } from '../message-tracing.ts'
import type { HookRegistry } from './hooks.ts'
import type { ClientHooks, ExchangeInfo, ExchangeKind } from './phases.ts'
import { beforeSendHeaders } from './before-send.ts'
import { cancelled, checkTimeout, consumersNote, waitingFor } from './exchange-errors.ts'

/** What an exchange needs from its client. */
export interface ExchangeDeps {
  readonly client: string
  readonly policy: Policy
  readonly pending: PendingCalls
  readonly hooks: HookRegistry<ClientHooks>
  readonly consumers: ConsumerWatch
  /** The deadlines of the client's exchanges: one timer per timeout, not one per call. */
  readonly deadlines: DeadlineLists
  /**
   * Checks the client is open, opens its inbox and makes sure the topic exists; gives the inbox
   * address — at once when both are ready, as they are for every call after the first.
   */
  readonly prepare: (kind: ExchangeKind, topic: string, service: string | undefined) => string | undefined | Promise<string | undefined>
  /** Sends a record, retried through a failover for up to `timeout` ms; a failure other than a KafkaIpcError is a `KIPC_TRANSPORT_ERROR` ({@link sendFailure}). */
  readonly send: (message: OutgoingMessage, timeout: number) => Promise<void>
  /** {@link send}, its outcome told to `receipt` (core/transport.ts `sendAndTell`): a request's exchange is its own receipt. */
  readonly sendAndTell: (message: OutgoingMessage, timeout: number, receipt: SendReceipt) => void
  /** A hook that failed where its failure changes nothing for the exchange (onAnswer, onCallError). */
  readonly hookFailed: (error: unknown, info: ExchangeInfo) => void
  /** Spans around each exchange, when tracing is on (docs/operations.md#tracing). */
  readonly tracer: MessageTracer | undefined
}

/** One request to send and how its answers are taken. */
export interface ExchangeSpec {
  readonly kind: 'call' | 'stream' | 'gather'
  readonly topic: string
  readonly method: string
  readonly path: string
  /** The query string, without `?`, when the request has one. */
  readonly query?: string | undefined
  /** The route's path as declared (`/quotes/:id`), for messages; `path` is it filled in. */
  readonly route: string
  /** The service asked, when one is (not for a gather): a timeout then says whether it consumes. */
  readonly service: string | undefined
  /** The gather asked, for a gather. */
  readonly gather?: string | undefined
  readonly args: RequestArgs
  /** The `kafka-ipc:call` trace of this exchange, when traced: it learns the request's id. */
  readonly trace?: CallTrace | undefined
  /** A stream's or a fetch's flow-control window, announced as `kipc-window` (docs/protocol.md §9); none for calls and gathers. */
  readonly window?: number | undefined
  /** Take a reply as its bytes, undecoded (fetch); onAnswer hooks, which read the body, turn it off. */
  readonly rawReplies?: boolean
  /** True for fetch(): no route is declared, `route` is the path asked for (a span is named without it). */
  readonly unrouted?: boolean
  /** An answer arrived, after the `onAnswer` hooks. */
  readonly receive: (answer: Answer, exchange: Exchange) => void
  /** The exchange ended without (more) answers: its deadline, its signal, a send failure, the client closing. */
  readonly fail: (error: Error) => void
}

/** A request on its way or sent: its id, and how to stop waiting for it. */
export interface Exchange {
  /** The request's `kipc-id`: one id for the exchange, across any retry of the send. */
  readonly id: string
  /** Forgets the exchange: timer, pending entry, abort listener. Idempotent. */
  release(): void
}

/**
 * The one path every call, stream and gather takes (docs/lifecycle.md, client side): build the
 * request (one message id), `beforeSend` hooks, track its deadline and signal, register it for
 * answers, send. Each answer passes the `onAnswer` hooks in arrival order before it is taken; every
 * way the exchange can end without its answer — deadline, signal, send failure, shutdown — is a
 * local KafkaIpcError, shown to the `onCallError` hooks, never blamed on the other service.
 *
 * The exchange is at once when nothing has to be awaited first — the inbox open, the topic known,
 * no `beforeSend` hook — as for every call after a client's first; a promise of it otherwise.
 * A failure before anything is sent (a bad argument, a cancelled signal) is thrown, or rejects
 * that promise.
 *
 * @example
 * ```ts
 * const exchange = await startExchange(deps, { kind: 'call', topic, method: 'POST', path: '/quotes', …, receive, fail })
 * ```
 */
export function startExchange(deps: ExchangeDeps, spec: ExchangeSpec): Exchange | Promise<Exchange> {
  const tracer = deps.tracer
  // Asked per exchange, so that a tracer registered later is honoured; untraced, no span is built.
  if (tracer === undefined || !tracer.enabled()) return openExchange(deps, spec, undefined)
  const span = tracer.call(spec)
  return span.run(async () => openExchange(deps, spec, span)).catch((error: unknown) => {
    span.end(error)
    throw error
  })
}

/** {@link startExchange}, with the exchange's span when traced: it ends when the exchange is released. */
function openExchange(deps: ExchangeDeps, spec: ExchangeSpec, span: CallSpan | undefined): Exchange | Promise<Exchange> {
  const { policy } = deps
  const { args } = spec
  if (args.signal?.aborted === true) throw cancelled(waitingFor(spec))
  const timeout = checkTimeout(args.timeout ?? policy.timeoutMs, policy.maxTimeoutMs)
  const replyTo = deps.prepare(spec.kind, spec.topic, spec.service)
  if (!(replyTo instanceof Promise)) return identify(deps, spec, span, timeout, replyTo)
  return replyTo.then((address) => {
    // Read afresh: the signal may have aborted while the inbox opened.
    if ((args.signal as { readonly aborted: boolean } | undefined)?.aborted === true) throw cancelled(waitingFor(spec))
    return identify(deps, spec, span, timeout, address)
  })
}

/** Gives the request its id and headers (after the `beforeSend` hooks, when there are any), then sends it. */
function identify(deps: ExchangeDeps, spec: ExchangeSpec, span: CallSpan | undefined, timeout: number, replyTo: string | undefined): Exchange | Promise<Exchange> {
  const { hooks, pending } = deps
  const { args } = spec
  const id = args.id === undefined ? newMessageId() : checkMessageId(args.id)
  // Two calls waiting under one id could not tell their answers apart.
  if (args.id !== undefined && pending.has(id)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A call with the id ${JSON.stringify(id)} is already waiting for its answer; a chosen id may be reused only once that call has ended.`)
  if (spec.trace !== undefined) spec.trace.id = id
  // What hooks read: built only for a client that has hooks.
  const info: ExchangeInfo | undefined = hooks.isEmpty ? undefined : { client: deps.client, kind: spec.kind, target: exchangeTarget(spec), id, topic: spec.topic }
  // No headers given, no map made: most calls send none.
  const headers = args.headers === undefined ? undefined : checkOutgoingHeaders(args.headers)
  if (info === undefined || !hooks.has('beforeSend')) return new CallExchange(deps, spec, span, timeout, replyTo, id, info, headers)
  return beforeSendHeaders(hooks, headers, info, args.body).then((added) => {
    if ((args.signal as { readonly aborted: boolean } | undefined)?.aborted === true) throw cancelled(waitingFor(spec))
    return new CallExchange(deps, spec, span, timeout, replyTo, id, info, added)
  })
}

/**
 * A request sent and waiting for its answers: its pending entry, the listener of its signal and
 * the owner of its deadline timer, all in one object — a call at concurrency 256 lives long
 * enough for what it allocates to outlast young garbage collections, so one object rather than a
 * closure per way it can end (docs/performance.md).
 *
 * It keeps the few things of its spec it needs to the end, not the spec: the spec holds the
 * caller's arguments — the body the caller built — and an exchange that kept them alive until
 * its answer made V8 allocate the caller's own objects of that kind in the old generation once a
 * burst of calls all waited through a young collection (pretenuring; docs/performance.md).
 */
class CallExchange implements Exchange, PendingEntry, SendReceipt, Expiring {
  readonly id: string
  readonly target: string
  readonly rawReplies: boolean
  readonly #deps: ExchangeDeps
  readonly #kind: ExchangeSpec['kind']
  readonly #service: string | undefined
  readonly #gather: string | undefined
  readonly #method: string
  readonly #route: string
  readonly #signal: AbortSignal | undefined
  readonly #receive: ExchangeSpec['receive']
  readonly #fail: ExchangeSpec['fail']
  readonly #span: CallSpan | undefined
  /** The span of the request's send, when traced: ended when the broker has it (or will not). */
  readonly #sending: SendSpan | undefined
  readonly #info: ExchangeInfo | undefined
  readonly #timeout: number
  /** Its place among the client's deadlines (DeadlineLists). */
  expiresAt = 0
  previousLinked: Expiring | undefined = undefined
  nextLinked: Expiring | undefined = undefined
  expiringList: ExpiringList | undefined = undefined
  #released = false
  /** Answers stay in arrival order through async onAnswer hooks: each waits for the one before. */
  #previous: Promise<void> | undefined

  constructor(deps: ExchangeDeps, spec: ExchangeSpec, span: CallSpan | undefined, timeout: number, replyTo: string | undefined, id: string, info: ExchangeInfo | undefined, headers: Map<string, string> | undefined) {
    const { args } = spec
    const message = buildMessage({ topic: spec.topic, key: args.key }, 'request', { replyTo, deadline: args.deadline ?? Date.now() + timeout, method: spec.method, path: spec.path, query: spec.query ?? queryString(args.query), service: deps.client, window: spec.window }, args.body, deps.policy.codec, deps.policy.maxMessageBytes, headers, id)
    this.id = id
    this.target = spec.service ?? spec.gather ?? ''
    this.rawReplies = spec.rawReplies === true && !deps.hooks.has('onAnswer')
    this.#deps = deps
    this.#kind = spec.kind
    this.#service = spec.service
    this.#gather = spec.gather
    this.#method = spec.method
    this.#route = spec.route
    this.#signal = args.signal
    this.#receive = spec.receive
    this.#fail = spec.fail
    this.#span = span
    this.#info = info
    this.#timeout = timeout
    this.#sending = span?.send(message)
    if (spec.service !== undefined) deps.consumers.note(spec.service)
    deps.deadlines.add(this, timeout)
    // The exchange is the listener itself (handleEvent), and the receipt of its send: no closure
    // or promise per call.
    args.signal?.addEventListener('abort', this, { once: true })
    deps.pending.add(id, this)
    deps.sendAndTell(message, timeout, this)
  }

  /** The broker has the request. */
  sent(): void {
    this.#sending?.end()
  }

  /** The request was not sent: the call fails with why. */
  unsent(error: unknown): void {
    this.#sending?.end(error)
    const failure = sendFailure(error)
    this.release(failure)
    this.#failWith(failure)
  }

  /** An answer for this exchange, from the inbox: through the `onAnswer` hooks, in arrival order, to the spec. */
  receive(answer: Answer): void {
    this.#span?.answered(answer)
    const info = this.#info
    if (info === undefined) {
      this.#receive(answer, this)
      return
    }
    const { hooks } = this.#deps
    if (answer.kind === 'error' && this.#kind !== 'gather' && hooks.has('onCallError')) {
      void runHooks(this.#deps, 'onCallError', { ...info, error: remoteError(answer.service ?? this.#service ?? '', answer.status, answer.body) }, info)
    }
    if (!hooks.has('onAnswer')) {
      this.#receive(answer, this)
      return
    }
    this.#afterOnAnswer(answer, info)
  }

  /**
   * Hands `answer` on once the `onAnswer` hooks have run, after the answers before it. Apart from
   * {@link receive}, so that `receive` makes no closure: one that captured the answer would make
   * V8 put it in a context on every answer, whatever branch runs, and that context outlived its
   * call under load (docs/performance.md).
   */
  #afterOnAnswer(answer: Answer, info: ExchangeInfo): void {
    const headers = answer.wireHeaders === undefined ? noHeaders : userHeaders(answer.wireHeaders, answerContentType(answer, this.#deps.policy.codec))
    const context = { ...info, answer: answer.kind, status: answer.status, service: answer.service, body: answer.body, headers }
    this.#previous = (this.#previous ?? Promise.resolve()).then(() => runHooks(this.#deps, 'onAnswer', context, info)).then(() => {
      this.#receive(answer, this)
    })
  }

  /** The client ends the exchange without an answer (it shuts down). */
  fail(error: KafkaIpcError): void {
    this.release(error)
    this.#failWith(error)
  }

  /** Forgets the exchange: timer, pending entry, abort listener. Idempotent. `failure` ends its span with it. */
  release(failure?: unknown): void {
    if (this.#released) return
    this.#released = true
    this.#deps.deadlines.remove(this)
    this.#signal?.removeEventListener('abort', this)
    this.#deps.pending.delete(this.id)
    this.#span?.end(failure)
  }

  /** The signal aborted: the call is cancelled. */
  handleEvent(): void {
    const error = cancelled(this.#waitingFor())
    this.release(error)
    this.#failWith(error)
  }

  /** The deadline passed with no (final) answer. */
  expire(): void {
    const deps = this.#deps
    const service = this.#service
    deps.pending.counters.timeouts++
    const consumers = service === undefined ? undefined : deps.consumers.known(service)
    const note = service === undefined ? '' : consumersNote(deps.policy, service, consumers)
    const error = new KafkaIpcError('KIPC_TIMEOUT', `Timed out after ${this.#timeout} ms waiting for ${this.#waitingFor()}.${note}`, { details: { timeoutMs: this.#timeout, consumers } })
    // A gather's deadline ends its collection: its answers so far are the result, not an error.
    if (this.#kind === 'gather') {
      this.release()
      this.#fail(error)
    } else {
      this.release(error)
      this.#failWith(error)
    }
  }

  #failWith(error: Error): void {
    const info = this.#info
    if (info !== undefined && this.#deps.hooks.has('onCallError')) void runHooks(this.#deps, 'onCallError', { ...info, error }, info)
    this.#fail(error)
  }

  #waitingFor(): string {
    return waitingFor({ kind: this.#kind, service: this.#service, gather: this.#gather, method: this.#method, route: this.#route })
  }
}

/**
 * What a send's failure is to the caller: the transport's KafkaIpcError as it is, anything else
 * the broker refusing the message (`KIPC_TRANSPORT_ERROR`).
 *
 * @example
 * ```ts
 * await transport.send(oneRecord(message)).catch((error: unknown) => { throw sendFailure(error) })
 * ```
 */
export function sendFailure(error: unknown): KafkaIpcError {
  if (error instanceof KafkaIpcError) return error
  return new KafkaIpcError('KIPC_TRANSPORT_ERROR', `The broker refused the message: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
}

const noHeaders: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>)

async function runHooks<P extends 'onAnswer' | 'onCallError'>(deps: ExchangeDeps, phase: P, context: ClientHooks[P], info: ExchangeInfo): Promise<void> {
  try {
    await deps.hooks.run(phase, context)
  } catch (error) {
    deps.hookFailed(error, info)
  }
}

/**
 * What an exchange asks, for hooks: the route as declared, `pricing POST /quotes/:id` (one name
 * per route, whatever its parameters), or `gather seat.hold`. Built only when needed.
 */
export function exchangeTarget(spec: Pick<ExchangeSpec, 'service' | 'gather' | 'method' | 'route'>): string {
  return spec.gather !== undefined ? `gather ${spec.gather}` : `${spec.service ?? '?'} ${spec.method} ${spec.route}`
}
