import type { RequestArgs } from '../call-types.ts'
import type { ConsumerWatch } from '../consumer-watch.ts'
import type { CallTrace } from '../trace-contexts.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import type { Answer, PendingCalls } from '../pending-calls.ts'
import type { Policy } from '../policy.ts'
import { buildMessage } from '../protocol/envelope.ts'
import { remoteError } from '../protocol/error-body.ts'
import { checkOutgoingHeaders, userHeaders } from '../protocol/headers.ts'
import { checkMessageId, newMessageId } from '../protocol/message-id.ts'
import { queryString } from '../http/query.ts'
import { topicNames } from '../protocol/topic-names.ts'
import type { OutgoingMessage } from '../transport.ts'
import type { CallSpan, MessageTracer } from '../message-tracing.ts'
import type { HookRegistry } from './hooks.ts'
import type { ClientHooks, ExchangeInfo, ExchangeKind } from './phases.ts'

/** What an exchange needs from its client. */
export interface ExchangeDeps {
  readonly client: string
  readonly policy: Policy
  readonly pending: PendingCalls
  readonly hooks: HookRegistry<ClientHooks>
  readonly consumers: ConsumerWatch
  /**
   * Checks the client is open, opens its inbox and makes sure the topic exists; gives the inbox
   * address — at once when both are ready, as they are for every call after the first.
   */
  readonly prepare: (kind: ExchangeKind, topic: string, service: string | undefined) => string | undefined | Promise<string | undefined>
  /** Sends a record, retried through a failover for up to `timeout` ms; fails with a typed error. */
  readonly send: (message: OutgoingMessage, timeout: number) => Promise<void>
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
 * @example
 * ```ts
 * const exchange = await startExchange(deps, { kind: 'call', topic, method: 'POST', path: '/quotes', …, receive, fail })
 * ```
 */
export function startExchange(deps: ExchangeDeps, spec: ExchangeSpec): Promise<Exchange> {
  const tracer = deps.tracer
  // Asked per exchange, so that a tracer registered later is honoured; untraced, no span is built.
  if (tracer === undefined || !tracer.enabled()) return openExchange(deps, spec, undefined)
  const span = tracer.call(spec)
  return span.run(() => openExchange(deps, spec, span)).catch((error: unknown) => {
    span.end(error)
    throw error
  })
}

/** {@link startExchange}, with the exchange's span when traced: it ends when the exchange is released. */
async function openExchange(deps: ExchangeDeps, spec: ExchangeSpec, span: CallSpan | undefined): Promise<Exchange> {
  const { policy, hooks, pending } = deps
  const { args } = spec
  if (args.signal?.aborted === true) throw cancelled(waitingFor(spec))
  const timeout = checkTimeout(args.timeout ?? policy.timeoutMs, policy.maxTimeoutMs)
  let replyTo = deps.prepare(spec.kind, spec.topic, spec.service)
  if (replyTo instanceof Promise) replyTo = await replyTo
  // Read afresh: the signal may have aborted while the inbox opened.
  if ((args.signal as { readonly aborted: boolean } | undefined)?.aborted === true) throw cancelled(waitingFor(spec))
  const id = args.id === undefined ? newMessageId() : checkMessageId(args.id)
  // Two calls waiting under one id could not tell their answers apart.
  if (args.id !== undefined && pending.has(id)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A call with the id ${JSON.stringify(id)} is already waiting for its answer; a chosen id may be reused only once that call has ended.`)
  if (spec.trace !== undefined) spec.trace.id = id
  // What hooks read: built only for a client that has hooks.
  const info: ExchangeInfo | undefined = hooks.isEmpty ? undefined : { client: deps.client, kind: spec.kind, target: exchangeTarget(spec), id, topic: spec.topic }
  let headers = checkOutgoingHeaders(args.headers)
  if (info !== undefined && hooks.has('beforeSend')) {
    headers = await beforeSendHeaders(hooks, headers, info, args.body)
    if ((args.signal as { readonly aborted: boolean } | undefined)?.aborted === true) throw cancelled(waitingFor(spec))
  }
  const message = buildMessage({ topic: spec.topic, key: args.key }, 'request', { replyTo, deadline: args.deadline ?? Date.now() + timeout, method: spec.method, path: spec.path, query: spec.query ?? queryString(args.query), service: deps.client, window: spec.window }, args.body, policy.codec, policy.maxMessageBytes, headers, id)
  const sending = span?.send(message)

  const failWith = (error: Error): void => {
    if (info !== undefined && hooks.has('onCallError')) void runHooks(deps, 'onCallError', { ...info, error }, info)
    spec.fail(error)
  }
  if (spec.service !== undefined) deps.consumers.note(spec.service)
  let released = false
  // `failure` ends the exchange's span with it; the exchange's users release it without one.
  const release = (failure?: unknown): void => {
    if (released) return
    released = true
    clearTimeout(timer)
    args.signal?.removeEventListener('abort', onAbort)
    pending.delete(id)
    span?.end(failure)
  }
  const timer = setTimeout(() => {
    pending.counters.timeouts++
    const consumers = spec.service === undefined ? undefined : deps.consumers.known(spec.service)
    const note = spec.service === undefined ? '' : consumersNote(policy, spec.service, consumers)
    const error = new KafkaIpcError('KIPC_TIMEOUT', `Timed out after ${timeout} ms waiting for ${waitingFor(spec)}.${note}`, { details: { timeoutMs: timeout, consumers } })
    // A gather's deadline ends its collection: its answers so far are the result, not an error.
    if (spec.kind === 'gather') {
      release()
      spec.fail(error)
    } else {
      release(error)
      failWith(error)
    }
  }, timeout)
  const onAbort = (): void => {
    const error = cancelled(waitingFor(spec))
    release(error)
    failWith(error)
  }
  args.signal?.addEventListener('abort', onAbort, { once: true })

  const exchange: Exchange = { id, release }
  // Answers stay in arrival order through async onAnswer hooks: each waits for the one before.
  let previous: Promise<void> | undefined
  pending.add(id, {
    target: spec.service ?? spec.gather ?? '',
    rawReplies: spec.rawReplies === true && !hooks.has('onAnswer'),
    receive: (answer) => {
      span?.answered(answer)
      if (info === undefined) {
        spec.receive(answer, exchange)
        return
      }
      if (answer.kind === 'error' && spec.kind !== 'gather' && hooks.has('onCallError')) {
        void runHooks(deps, 'onCallError', { ...info, error: remoteError(answer.service ?? spec.service ?? '', answer.status, answer.body) }, info)
      }
      if (!hooks.has('onAnswer')) {
        spec.receive(answer, exchange)
        return
      }
      const headers = answer.wireHeaders === undefined ? noHeaders : userHeaders(answer.wireHeaders)
      const context = { ...info, answer: answer.kind, status: answer.status, service: answer.service, body: answer.body, headers }
      previous = (previous ?? Promise.resolve()).then(() => runHooks(deps, 'onAnswer', context, info)).then(() => {
        spec.receive(answer, exchange)
      })
    },
    fail: (error) => {
      release(error)
      failWith(error)
    },
  })
  const sent = deps.send(message, timeout)
  sent.catch((error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error))
    release(failure)
    failWith(failure)
  })
  if (sending !== undefined) {
    sent.then(
      () => {
        sending.end()
      },
      (error: unknown) => {
        sending.end(error)
      },
    )
  }
  return exchange
}

const noHeaders: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>)

/**
 * The application's headers plus those the `beforeSend` hooks add — of a request or an event; a
 * hook's KafkaIpcError fails the call before anything is sent. Callers skip it when no
 * `beforeSend` hook is registered.
 *
 * @example
 * ```ts
 * if (hooks.has('beforeSend')) headers = await beforeSendHeaders(hooks, headers, info, body)
 * ```
 */
export async function beforeSendHeaders(hooks: HookRegistry<ClientHooks>, headers: Map<string, string>, info: ExchangeInfo, body: unknown): Promise<Map<string, string>> {
  const added: Record<string, string> = Object.create(null) as Record<string, string>
  await hooks.run('beforeSend', {
    ...info,
    body,
    headers: Object.fromEntries(headers),
    setHeader: (name, value) => {
      added[name] = value
    },
  })
  for (const [name, value] of checkOutgoingHeaders(added)) headers.set(name, value)
  return headers
}

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

/** What a timeout or a cancel waited for: `pricing to POST /quotes/:id`, `pricing to finish …`, `gather seat.hold`. */
function waitingFor(spec: ExchangeSpec): string {
  if (spec.gather !== undefined) return `gather ${spec.gather}`
  return `${spec.service ?? '?'} to ${spec.kind === 'stream' ? 'finish ' : ''}${spec.method} ${spec.route}`
}

function cancelled(what: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_CANCELLED', `The call to ${what} was cancelled.`)
}

/** Timeouts become whole milliseconds on the wire; nonsense is refused before anything is sent. */
function checkTimeout(timeout: number, max: number): number {
  if (!Number.isFinite(timeout) || timeout <= 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `timeout must be a positive number of milliseconds, got ${String(timeout)}.`)
  if (timeout > max) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `timeout ${String(timeout)} ms is longer than the policy allows (maxTimeoutMs ${max}).`)
  return Math.ceil(timeout)
}

/** What a timeout can add about who consumes the service's requests (see {@link ConsumerWatch}). */
function consumersNote(policy: Policy, service: string, consumers: number | undefined): string {
  if (consumers === undefined) return ''
  if (consumers === 0) return ` No instance of ${service} is consuming ${topicNames.requests(policy, service)} (consumer group ${topicNames.group(policy, service)} has no members): it is stopped, not started yet, or failing to start.`
  return ` ${consumers} instance(s) of ${service} consume its requests: the handler is slow, its partition is backed up, or the deadline is too short.`
}
