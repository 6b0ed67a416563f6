import { isKafkaIpcError, KafkaIpcError } from '../kafka-ipc-error.ts'
import { Reply } from '../http/reply.ts'
import { buildMessage, type Envelope, type EnvelopeFields, wireHeader } from '../protocol/envelope.ts'
import { encodeBody } from '../protocol/bodies.ts'
import { isConnectionHeader } from '../http/web-messages.ts'
import { errorBody } from '../protocol/error-body.ts'
import { checkOutgoingHeaders, type WireHeaders } from '../protocol/headers.ts'
import type { ReplyTarget } from '../protocol/reply-targets.ts'
import type { FailureKind } from '../failure.ts'
import { type IncomingMessage, type OutgoingMessage, type SendOptions, sendOptionsOf, oneRecord } from '../transport.ts'
import type { StoredAnswer } from '../deduplication-store.ts'
import type { Policy } from '../policy.ts'
import { type Schema, validate } from '../schema.ts'
import type { AnswerKind, FailedPhase, MessageInfo, Outcome } from './phases.ts'
import type { RequestContext } from './request-context.ts'
import { checkStatus } from './stream-items.ts'
import { handledTarget, reportFailure, reportUndeliverable, requestTarget, type Routed, runReported, type ServicePipelineDeps } from './service-pipeline.ts'
import { asError } from '../as-error.ts'

/**
 * The answers of one request: each goes through the `onSend` hooks, then to the caller's inbox
 * partition, retried through a failover until the deadline. An answer the broker would not take
 * is counted and reported once, and no error answer follows it.
 */
export class Answers {
  readonly #deps: ServicePipelineDeps
  readonly #envelope: Envelope
  readonly #message: IncomingMessage
  readonly #to: ReplyTarget
  readonly #sendOptions: SendOptions
  readonly #info: () => MessageInfo
  /** The route that took the request, named in failure reports (built only for one). */
  readonly #found: Routed | undefined
  #undelivered: unknown
  /** The response headers: all of them go on the first record, the `content-type` on every record but an error. */
  #headers: WireHeaders | undefined
  #contentType: WireHeaders | undefined
  #sent = 0
  /** Told the reply before it is sent: a deduplication store records it as the run's answer. */
  #beforeReply: ((answer: StoredAnswer) => void | Promise<void>) | undefined
  /** The status of the last answer sent, for `onResponse`. */
  lastStatus: number | undefined
  /** A HEAD request's answers carry headers and status, and no body. */
  readonly bodiless: boolean

  constructor(deps: ServicePipelineDeps, envelope: Envelope, message: IncomingMessage, to: ReplyTarget, deadline: number, info: () => MessageInfo, found: Routed | undefined) {
    this.#deps = deps
    this.#envelope = envelope
    this.#message = message
    this.#to = to
    // After the deadline nobody reads an answer: sends are retried until then and no longer.
    this.#sendOptions = sendOptionsOf(deps.policy, deadline)
    this.#info = info
    this.#found = found
    this.bodiless = envelope.method === 'HEAD'
  }

  /**
   * Sets the response headers (a handler's, or a Response's) the answers carry — without the
   * framing ones (`content-length`, `transfer-encoding`, `connection`…): the record's length is
   * the body's, whoever set them.
   */
  respondWith(headers: WireHeaders | undefined): void {
    this.#headers = withoutFraming(headers)
    const contentType = headers?.get(wireHeader.contentType)
    this.#contentType = contentType === undefined ? undefined : new Map([[wireHeader.contentType, contentType]])
  }

  /** Sends one answer through the `onSend` hooks; a hook's failure is thrown and nothing is sent. */
  send(kind: AnswerKind, fields: EnvelopeFields, body: unknown): Promise<void> {
    // Without onSend hooks, the delivery's own promise: no second async layer per answer.
    if (!this.#deps.hooks.has('onSend')) return this.#deliver(kind, fields, body, undefined)
    return this.#onSendHeaders(kind, fields.status ?? 200, body).then((added) => this.#deliver(kind, fields, body, added))
  }

  /** The headers the `onSend` hooks add to one answer. */
  async #onSendHeaders(kind: AnswerKind, status: number, body: unknown): Promise<WireHeaders> {
    const extra: Record<string, string> = Object.create(null) as Record<string, string>
    await this.#deps.hooks.run('onSend', {
      ...this.#info(),
      answer: kind,
      status,
      body,
      setHeader: (name, value) => {
        extra[name] = value
      },
    })
    return checkOutgoingHeaders(extra)
  }

  /**
   * Writes one answer to the caller's inbox partition. Not an async function: while the answer
   * waits for the broker's acknowledgement, nothing of what built it — the body above all — is
   * held by a suspended frame, and at hundreds of requests in flight what lives that long is what
   * the garbage collector pays for (docs/performance.md).
   */
  #deliver(kind: AnswerKind, fields: EnvelopeFields, body: unknown, added: WireHeaders | undefined): Promise<void> {
    let record: OutgoingMessage
    try {
      record = this.#record(kind, fields, body, added)
    } catch (error) {
      return Promise.reject(asError(error))
    }
    const status = fields.status ?? 200
    let recorded: void | Promise<void>
    try {
      // A reply is always the whole answer (a body that keeps coming goes as items): recorded first,
      // it is what a redelivery or a retry gets even if this instance dies before the send.
      recorded = kind === 'reply' && this.#beforeReply !== undefined ? this.#beforeReply({ headers: record.headers, value: record.value }) : undefined
    } catch (error) {
      return Promise.reject(this.#undeliverable(asError(error)))
    }
    if (recorded === undefined) return this.#send(record, status)
    return recorded.then(
      () => this.#send(record, status),
      (error: unknown) => {
        throw this.#undeliverable(error)
      },
    )
  }

  /** The record of one answer: the response headers it carries, its envelope and its body. */
  #record(kind: AnswerKind, fields: EnvelopeFields, body: unknown, added: WireHeaders | undefined): OutgoingMessage {
    const { policy, service } = this.#deps
    // An error's body is always the codec's error body: it takes no response header but the hooks'.
    const own = kind === 'error' ? undefined : this.#sent === 0 ? this.#headers : this.#contentType
    const headers = own === undefined ? added : added === undefined ? own : new Map([...own, ...added])
    return answerRecord(this.#to, this.#envelope.id, kind, fields, body, headers, this.bodiless && kind !== 'error', service, policy)
  }

  /** Hands the record to the transport; `lastStatus` is its status once the broker has it. */
  #send(record: OutgoingMessage, status: number): Promise<void> {
    this.#sent++
    let sending: Promise<void>
    try {
      sending = this.#deps.transport.send(oneRecord(record), this.#sendOptions)
    } catch (error) {
      return Promise.reject(this.#undeliverable(asError(error)))
    }
    return sending.then(
      () => {
        this.lastStatus = status
      },
      (error: unknown) => {
        throw this.#undeliverable(error)
      },
    )
  }

  /** Counts and reports an answer the broker would not take, remembers it (no error answer follows it), and gives its error back. */
  #undeliverable<Failure>(error: Failure): Failure {
    reportUndeliverable(this.#deps, error, this.#message, this.#envelope, this.#found)
    this.#undelivered = error
    return error
  }

  /** Has `record` told each reply before it is sent (once per request: a reply is its only answer). */
  recordReplyWith(record: (answer: StoredAnswer) => void | Promise<void>): void {
    this.#beforeReply = record
  }

  /** How a failed handling ends: nothing more when the answer could not be sent or nobody waits; else an error answer. */
  async settle(phase: FailedPhase, error: unknown, signal: AbortSignal): Promise<Outcome> {
    // Counted and reported by send: the same broker would not take an error answer either.
    if (this.#undelivered !== undefined && error === this.#undelivered) return 'failed'
    // A cancelled or expired call has nobody waiting: answering would only be a late reply.
    if (signal.aborted) {
      this.#deps.counters.cancelled++
      const timedOut = signal.reason instanceof KafkaIpcError && signal.reason.code === 'KIPC_TIMEOUT'
      const hook = timedOut ? 'onTimeout' : 'onCancel'
      if (this.#deps.hooks.has(hook)) await runReported(this.#deps, hook, this.#info(), this.#message, this.#envelope)
      return timedOut ? 'timed-out' : 'cancelled'
    }
    await this.fail(phase, error, 'handler-failed')
    return 'failed'
  }

  /** Reports a failure, shows it to `onError` hooks, and answers it with an error record. */
  async fail(phase: FailedPhase, error: unknown, kind: 'handler-failed' | 'message-dropped'): Promise<void> {
    this.#deps.counters.failed++
    this.#report(kind, phase, error)
    if (this.#deps.hooks.has('onError')) await runReported(this.#deps, 'onError', { ...this.#info(), error, phase }, this.#message, this.#envelope)
    const { status, body } = errorBody(error, this.#deps.policy.exposeErrorStack)
    let added: WireHeaders | undefined
    try {
      added = this.#deps.hooks.has('onSend') ? await this.#onSendHeaders('error', status, body) : undefined
    } catch (hookError) {
      // An onSend hook refused the error answer itself: reported, and the error goes out without its headers.
      this.#report('handler-failed', 'onSend', hookError)
    }
    // Counted and reported by #deliver when the broker does not take it.
    await this.#deliver('error', { status }, body, added).catch(() => undefined)
  }

  #report(kind: FailureKind, phase: FailedPhase, error: unknown): void {
    reportFailure(this.#deps, kind, phase, error, this.#message, this.#envelope, requestTarget(this.#envelope), handledTarget(this.#found, this.#envelope))
  }
}

/**
 * A request's one reply as a record, as {@link Answers} sends it: the response headers without the
 * framing ones, a HEAD request's without its body. For the pipeline's quick way
 * (route-at-once.ts), which sends a reply without an Answers.
 *
 * @example
 * ```ts
 * const record = replyRecord(deps, envelope, replyTarget, 200, body, replyHeaders(result, context))
 * await deps.transport.send(oneRecord(record), sendOptionsOf(deps.policy, deadline))
 * ```
 */
export function replyRecord(deps: Pick<ServicePipelineDeps, 'policy' | 'service'>, envelope: Pick<Envelope, 'id' | 'method'>, to: ReplyTarget, status: number, body: unknown, headers: WireHeaders | undefined): OutgoingMessage {
  return answerRecord(to, envelope.id, 'reply', { status }, body, withoutFraming(headers), envelope.method === 'HEAD', deps.service, deps.policy)
}

/** An answer's record: a bodiless one (HEAD) carries the headers its body would have had, its content-type included, and no body. */
function answerRecord(to: ReplyTarget, correlation: string, kind: AnswerKind, fields: EnvelopeFields, body: unknown, headers: WireHeaders | undefined, bodiless: boolean, service: string, policy: Policy): OutgoingMessage {
  let sent = body
  let carried = headers
  if (bodiless && body !== undefined) {
    const { contentType } = encodeBody(body, headers?.get(wireHeader.contentType), policy.codec)
    if (contentType !== undefined) carried = new Map([...(headers ?? []), [wireHeader.contentType, contentType]])
    sent = undefined
  }
  return buildMessage(to, kind, { correlation, service, ...fields }, sent, policy.codec, policy.maxMessageBytes, carried)
}

/** Response headers without the framing ones (`content-length`, `transfer-encoding`, `connection`…): a record's length is its body's, whoever set them. */
function withoutFraming(headers: WireHeaders | undefined): WireHeaders | undefined {
  if (headers !== undefined) for (const name of headers.keys()) if (isConnectionHeader(name)) headers.delete(name)
  return headers
}

/**
 * The reply body a typed handler's result answers with — a {@link Reply}'s body, else the result
 * itself — checked against `schema` when the policy checks replies (a promise for an asynchronous
 * schema).
 *
 * @example
 * ```ts
 * const body = validReply(result, contract.reply, policy)
 * ```
 */
export function validReply(result: unknown, schema: Schema | undefined, policy: Pick<Policy, 'validateReplies'>): unknown {
  return validate(policy.validateReplies ? schema : undefined, result instanceof Reply ? result.body : result, 'KIPC_INVALID_REPLY', 'reply')
}

/**
 * The status a typed handler's result answers with — a {@link Reply}'s, else the one set on its
 * context — checked.
 *
 * @example
 * ```ts
 * answers.send('reply', { status: replyStatus(result, context) }, body)
 * ```
 */
export function replyStatus(result: unknown, context: RequestContext): number {
  return checkStatus(result instanceof Reply ? (result.status ?? context.status) : context.status)
}

/**
 * The response headers a typed handler's result answers with: a {@link Reply}'s over those the
 * handler set on its context, else the context's alone.
 *
 * @example
 * ```ts
 * answers.respondWith(replyHeaders(result, context))
 * ```
 */
export function replyHeaders(result: unknown, context: RequestContext): WireHeaders | undefined {
  const set = context.responseHeaders()
  const own = !(result instanceof Reply) || result.headers === undefined ? undefined : checkOutgoingHeaders(result.headers)
  return own === undefined ? set : set === undefined ? own : new Map([...set, ...own])
}

/**
 * `KIPC_INVALID_ARGUMENT` from a handler or its answer — a bad header name, an object sent as
 * text — is the service's mistake, not the caller's: it is answered `500 KIPC_HANDLER_ERROR`,
 * never a 400 that would blame the request.
 *
 * @example
 * ```ts
 * outcome = await answers.settle('send', handlerMistake(error), signal)
 * ```
 */
export function handlerMistake(error: unknown): unknown {
  if (!isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT')) return error
  return new KafkaIpcError('KIPC_HANDLER_ERROR', `The handler's answer is invalid: ${error.message}`, { cause: error })
}
