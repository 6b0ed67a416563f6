import type { Client } from './client.ts'
import type { GatherContract, RouteContract, StreamContract } from './contracts.ts'
import type { HandlerContext, IncomingRequest } from './handler-types.ts'
import { type ErrorListener, type FailureContext, type FailureKind, recordContext } from './failure.ts'
import { KafkaIpcError } from './kafka-ipc-error.ts'
import { buildMessage, type EnvelopeFields } from './protocol/envelope.ts'
import { errorBody } from './protocol/error-body.ts'
import type { Policy } from './policy.ts'
import type { ReplyTargets } from './protocol/reply-targets.ts'
import type { RunningRequests } from './running-requests.ts'
import { validate } from './schema.ts'
import type { IncomingMessage, Transport } from './transport.ts'
import { ItemChunker } from './item-chunker.ts'
import { checkBodySize } from './protocol/record-checks.ts'
import type { Envelope } from './protocol/envelope.ts'
import { userHeaders } from './protocol/headers.ts'

/** A registered request handler, whatever its kind. */
export type Registered =
  | { readonly kind: 'route'; readonly contract: RouteContract; readonly handler: (request: IncomingRequest, context: HandlerContext) => unknown }
  | { readonly kind: 'stream'; readonly contract: StreamContract; readonly handler: (request: IncomingRequest, context: HandlerContext) => AsyncIterable<unknown> }
  | { readonly kind: 'gather'; readonly contract: GatherContract; readonly handler: (request: IncomingRequest, context: HandlerContext) => unknown }

/** Counters a service exposes through stats(). */
export interface ResponderCounters {
  handled: number
  failed: number
  /** Requests whose deadline had passed when they arrived: dropped unprocessed. */
  expired: number
  /** Requests naming a reply target that is not an inbox of this policy: dropped. */
  rejectedReplyTargets: number
  malformed: number
  cancelled: number
  /** Answers (replies, stream records, errors) the broker did not take before the request's deadline: dropped. */
  undeliverable: number
}

/** What the responder needs from its service. */
export interface ResponderDeps {
  readonly service: string
  readonly policy: Policy
  readonly transport: Transport
  readonly client: Client
  readonly counters: ResponderCounters
  readonly onError: ErrorListener
  /** Running requests by id, so a cancel message can abort them. */
  readonly running: RunningRequests
  /** The reply-address rules: answers go only to an existing partition of an inbox of this prefix. */
  readonly replyTargets: ReplyTargets
  /** Aborts every handler when the service closes. */
  readonly shutdown: AbortSignal
}

/**
 * Answers one request record: checks the envelope and deadline, finds the handler, validates the
 * body, runs the handler under an AbortSignal, and sends the reply, the stream items or the error
 * to the caller's inbox — never anywhere else.
 */
export async function respond(deps: ResponderDeps, envelope: Envelope, message: IncomingMessage, found: { registered: Registered; params: Record<string, string> } | undefined): Promise<void> {
  const { policy, counters } = deps
  // The context object is built only when something fails.
  const report = (kind: FailureKind, error: unknown): void => {
    const context: FailureContext = { kind, service: deps.service, target: `${envelope.method ?? '?'} ${envelope.path ?? '?'}`, ...recordContext(message, envelope) }
    deps.onError(error, context)
  }
  const now = Date.now()
  if (envelope.deadline !== undefined && envelope.deadline <= now) {
    counters.expired++
    report('message-dropped', new KafkaIpcError('KIPC_TIMEOUT', `Dropped request ${envelope.id}: its deadline had passed ${now - envelope.deadline} ms before it was consumed.`))
    return
  }
  const target = await deps.replyTargets.resolve(envelope.replyTo)
  if ('refused' in target) {
    counters.rejectedReplyTargets++
    report('message-dropped', new KafkaIpcError('KIPC_PROTOCOL_ERROR', `Dropped request ${envelope.id}: ${target.refused}.`))
    return
  }
  // A request without a deadline gets the policy's timeout; one further ahead than the policy's
  // maximum is cut down to it (a timer cannot wait past 2^31−1 ms: it would fire at once).
  const deadline = Math.min(envelope.deadline ?? now + policy.timeoutMs, now + policy.maxTimeoutMs)
  // An answer whose send falls into a leader election is tried again until the caller stops
  // waiting: after the deadline nobody reads it.
  const sendOptions = { compression: policy.compression, retryUntil: deadline }
  /** An answer the broker would not take: counted and reported once; no error answer follows it. */
  let undelivered: unknown
  const send = async (kind: 'reply' | 'item' | 'items' | 'end' | 'error', fields: EnvelopeFields, body: unknown): Promise<void> => {
    const message = buildMessage(target, kind, { correlation: envelope.id, service: deps.service, ...fields }, body, policy.codec, policy.maxMessageBytes)
    try {
      await deps.transport.send([message], sendOptions)
    } catch (error) {
      counters.undeliverable++
      report('answer-undeliverable', error)
      undelivered = error
      throw error
    }
  }
  const sendError = async (kind: FailureKind, error: unknown): Promise<void> => {
    counters.failed++
    report(kind, error)
    const { status, body } = errorBody(error, policy.exposeErrorStack)
    await send('error', { status }, body)
  }
  if (found === undefined) {
    await sendError('message-dropped', new KafkaIpcError('KIPC_NOT_FOUND', `${deps.service} has no route ${envelope.method ?? '?'} ${envelope.path ?? '?'}.`))
    return
  }
  const { registered, params } = found
  const controller = deps.running.start(envelope.id)
  const timer = setTimeout(() => {
    controller.abort(new KafkaIpcError('KIPC_TIMEOUT', 'The deadline passed.'))
  }, Math.max(0, deadline - Date.now()))
  const onShutdown = (): void => {
    controller.abort(new KafkaIpcError('KIPC_UNAVAILABLE', `${deps.service} is shutting down.`))
  }
  deps.shutdown.addEventListener('abort', onShutdown, { once: true })
  try {
    checkBodySize(message.value.byteLength, policy.maxMessageBytes, 'The request body')
    let raw: unknown
    try {
      raw = policy.codec.decode(message.value)
    } catch (error) {
      throw new KafkaIpcError('KIPC_BAD_REQUEST', 'The request body could not be decoded.', { cause: error })
    }
    const body = await validate(registered.contract.body, raw, 'KIPC_BAD_REQUEST', 'request body')
    const request: IncomingRequest = { id: envelope.id, method: envelope.method ?? 'POST', path: envelope.path ?? '/', params, headers: userHeaders(message.headers), body, key: message.key }
    const context: HandlerContext = { signal: controller.signal, deadline, caller: envelope.service, status: 200 }
    if (registered.kind === 'stream') {
      await streamItems(deps, registered, request, context, send)
    } else {
      const result = await registered.handler(request, context)
      const replySchema = registered.contract.reply
      const reply = await validate(policy.validateReplies ? replySchema : undefined, result, 'KIPC_INVALID_REPLY', 'reply')
      if (controller.signal.aborted) return
      await send('reply', { status: checkStatus(context.status) }, reply)
    }
    counters.handled++
  } catch (error) {
    // Counted and reported by send: the same broker would not take an error answer either.
    if (undelivered !== undefined && error === undelivered) return
    // A cancelled or expired call has nobody waiting: answering would only be a late reply.
    if (controller.signal.aborted) {
      counters.cancelled++
      return
    }
    await sendError('handler-failed', error).catch(() => undefined)
  } finally {
    clearTimeout(timer)
    deps.shutdown.removeEventListener('abort', onShutdown)
    deps.running.finish(envelope.id)
  }
}

/**
 * Sends a generator's items in order — one `item` record, or an `items` record carrying every item
 * yielded while the previous record was on its way ({@link ItemChunker}) — each record with this
 * instance's inbox so the caller's cancel comes back here; then the end marker. A cancel or the
 * deadline closes the generator (its `finally` runs) and nothing more is sent.
 */
async function streamItems(
  deps: ResponderDeps,
  registered: Extract<Registered, { kind: 'stream' }>,
  request: IncomingRequest,
  context: HandlerContext,
  send: (kind: 'item' | 'items' | 'end', fields: EnvelopeFields, body: unknown) => Promise<void>,
): Promise<void> {
  const replyTo = deps.client.address
  const itemSchema = deps.policy.validateReplies ? (registered.contract.item) : undefined
  const iterator = registered.handler(request, context)[Symbol.asyncIterator]()
  const stop = (): void => {
    void iterator.return?.()
  }
  context.signal.addEventListener('abort', stop, { once: true })
  const chunker = new ItemChunker((items, seq) =>
    items.length === 1 ? send('item', { seq, status: checkStatus(context.status), replyTo }, items[0]) : send('items', { seq, status: checkStatus(context.status), replyTo }, items),
  )
  try {
    for (;;) {
      const next = await iterator.next()
      if (context.signal.aborted) throw context.signal.reason
      if (next.done === true) break
      await chunker.add(await validate(itemSchema, next.value, 'KIPC_INVALID_REPLY', 'stream item'))
    }
    const seq = await chunker.finish()
    // A cancel may land while the last records are acknowledged; read the flag afresh.
    if ((context.signal as { readonly aborted: boolean }).aborted) throw context.signal.reason
    await send('end', { seq, status: checkStatus(context.status) }, undefined)
  } catch (error) {
    // Cancelled or past the deadline: nothing more goes out. Otherwise the items yielded before
    // the failure are sent first, so the caller gets them and then the error, in that order.
    if (context.signal.aborted) chunker.abandon()
    else await chunker.finish().catch(() => undefined)
    await iterator.return?.()
    throw error
  } finally {
    context.signal.removeEventListener('abort', stop)
  }
}

/** A handler's `ctx.status` must be an HTTP status; anything else is the handler's bug. */
function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new KafkaIpcError('KIPC_HANDLER_ERROR', `The handler set ctx.status to ${String(status)}; a status is an integer from 100 to 599.`)
  return status
}
