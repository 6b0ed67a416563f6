import type { HandlerContext, IncomingRequest } from '../handler-types.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { buildMessage, type Envelope, type EnvelopeFields, readEnvelope, type WireHeaders } from '../protocol/envelope.ts'
import { errorBody } from '../protocol/error-body.ts'
import { checkOutgoingHeaders, userHeaders } from '../protocol/headers.ts'
import { checkBodySize, checkKind } from '../protocol/record-checks.ts'
import type { ReplyTarget } from '../protocol/reply-targets.ts'
import { validate } from '../schema.ts'
import type { IncomingMessage } from '../transport.ts'
import type { AnswerKind, FailedPhase, MessageInfo, Outcome } from './phases.ts'
import { dropRecord, messageInfo, type Routed, reportFailure, runReported, type ServicePipelineDeps } from './service-pipeline.ts'
import { checkStatus, streamItems } from './stream-items.ts'

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
export async function handleRequest(deps: ServicePipelineDeps, message: IncomingMessage, route: (topic: string, envelope: Envelope) => Routed | undefined): Promise<void> {
  let envelope: Envelope | undefined
  try {
    envelope = readEnvelope(message.headers)
    checkKind('requests', envelope, message.topic)
  } catch (error) {
    deps.counters.malformed++
    await dropRecord(deps, 'malformed', error, message, envelope)
    return
  }
  if (deps.isCopy(message, envelope.id)) {
    deps.counters.duplicates++
    await dropRecord(deps, 'copy', undefined, message, envelope)
    return
  }
  await respond(deps, envelope, message, route(message.topic, envelope))
}

async function respond(deps: ServicePipelineDeps, envelope: Envelope, message: IncomingMessage, found: Routed | undefined): Promise<void> {
  const { policy, counters, hooks } = deps
  const target = `${envelope.method ?? '?'} ${envelope.path ?? '?'}`
  const now = Date.now()
  if (envelope.deadline !== undefined && envelope.deadline <= now) {
    counters.expired++
    await dropRecord(deps, 'expired', new KafkaIpcError('KIPC_TIMEOUT', `Dropped request ${envelope.id}: its deadline had passed ${now - envelope.deadline} ms before it was consumed.`), message, envelope, target)
    return
  }
  const replyTarget = await deps.replyTargets.resolve(envelope.replyTo)
  if ('refused' in replyTarget) {
    counters.rejectedReplyTargets++
    await dropRecord(deps, 'reply-target', new KafkaIpcError('KIPC_PROTOCOL_ERROR', `Dropped request ${envelope.id}: ${replyTarget.refused}.`), message, envelope, target)
    return
  }
  // A request without a deadline gets the policy's timeout; one further ahead than the policy's
  // maximum is cut down to it (a timer cannot wait past 2^31−1 ms: it would fire at once).
  const deadline = Math.min(envelope.deadline ?? now + policy.timeoutMs, now + policy.maxTimeoutMs)
  const headers = userHeaders(message.headers)
  const state: Record<string, unknown> = {}
  // What hooks read: built once, and only for a service that has hooks.
  let info: MessageInfo | undefined
  const infoOf = (): MessageInfo => (info ??= messageInfo(deps, found?.registered.kind ?? 'route', found?.registered.kind === 'gather' ? found.registered.contract.name : target, message, envelope, headers, state))
  const answers = new Answers(deps, envelope, message, replyTarget, deadline, target, infoOf)
  if (found === undefined) {
    await answers.fail('route', new KafkaIpcError('KIPC_NOT_FOUND', `${deps.service} has no route ${target}.`), 'message-dropped')
    if (hooks.has('onResponse')) await runReported(deps, 'onResponse', { ...infoOf(), outcome: 'failed', status: answers.lastStatus, durationMs: Date.now() - now }, message, envelope)
    return
  }
  const { registered, params } = found
  const startedAt = Date.now()
  const controller = deps.running.start(envelope.id)
  const timer = setTimeout(() => {
    controller.abort(new KafkaIpcError('KIPC_TIMEOUT', 'The deadline passed.'))
  }, Math.max(0, deadline - Date.now()))
  const onShutdown = (): void => {
    controller.abort(new KafkaIpcError('KIPC_UNAVAILABLE', `${deps.service} is shutting down.`))
  }
  deps.shutdown.addEventListener('abort', onShutdown, { once: true })
  let phase: FailedPhase = 'onReceive'
  let outcome: Outcome = 'answered'
  try {
    if (hooks.has('onReceive')) await hooks.run('onReceive', infoOf())
    phase = 'decode'
    checkBodySize(message.value.byteLength, policy.maxMessageBytes, 'The request body')
    let raw: unknown
    try {
      raw = policy.codec.decode(message.value)
    } catch (error) {
      throw new KafkaIpcError('KIPC_BAD_REQUEST', 'The request body could not be decoded.', { cause: error })
    }
    phase = 'validate'
    const body = await validate(registered.contract.body, raw, 'KIPC_BAD_REQUEST', 'request body')
    if (hooks.has('preHandler')) {
      phase = 'preHandler'
      await hooks.run('preHandler', { ...infoOf(), body })
    }
    phase = 'handler'
    const request: IncomingRequest = { id: envelope.id, method: envelope.method ?? 'POST', path: envelope.path ?? '/', params, headers, body, key: message.key }
    const context: HandlerContext = { signal: controller.signal, deadline, caller: envelope.service, status: 200, state }
    if (registered.kind === 'stream') {
      await streamItems(deps, registered, request, context, (kind, fields, item) => answers.send(kind, fields, item))
    } else {
      const result = await registered.handler(request, context)
      phase = 'serialize'
      const reply = await validate(policy.validateReplies ? registered.contract.reply : undefined, result, 'KIPC_INVALID_REPLY', 'reply')
      if (controller.signal.aborted) throw controller.signal.reason
      phase = 'send'
      await answers.send('reply', { status: checkStatus(context.status) }, reply)
    }
    counters.handled++
  } catch (error) {
    outcome = await answers.settle(phase, error, controller.signal)
  } finally {
    clearTimeout(timer)
    deps.shutdown.removeEventListener('abort', onShutdown)
    deps.running.finish(envelope.id)
  }
  if (hooks.has('onResponse')) await runReported(deps, 'onResponse', { ...infoOf(), outcome, status: answers.lastStatus, durationMs: Date.now() - startedAt }, message, envelope)
}

/**
 * The answers of one request: each goes through the `onSend` hooks, then to the caller's inbox
 * partition, retried through a failover until the deadline. An answer the broker would not take
 * is counted and reported once, and no error answer follows it.
 */
class Answers {
  readonly #deps: ServicePipelineDeps
  readonly #envelope: Envelope
  readonly #message: IncomingMessage
  readonly #to: ReplyTarget
  readonly #sendOptions: { readonly compression: ServicePipelineDeps['policy']['compression']; readonly retryUntil: number }
  readonly #target: string
  readonly #info: () => MessageInfo
  #undelivered: unknown
  /** The status of the last answer sent, for `onResponse`. */
  lastStatus: number | undefined

  constructor(deps: ServicePipelineDeps, envelope: Envelope, message: IncomingMessage, to: ReplyTarget, deadline: number, target: string, info: () => MessageInfo) {
    this.#deps = deps
    this.#envelope = envelope
    this.#message = message
    this.#to = to
    // After the deadline nobody reads an answer: sends are retried until then and no longer.
    this.#sendOptions = { compression: deps.policy.compression, retryUntil: deadline }
    this.#target = target
    this.#info = info
  }

  async send(kind: AnswerKind, fields: EnvelopeFields, body: unknown): Promise<void> {
    const { policy, service } = this.#deps
    const status = fields.status ?? 200
    let added: WireHeaders | undefined
    if (this.#deps.hooks.has('onSend')) {
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
      added = checkOutgoingHeaders(extra)
    }
    const record = buildMessage(this.#to, kind, { correlation: this.#envelope.id, service, ...fields }, body, policy.codec, policy.maxMessageBytes, added)
    try {
      await this.#deps.transport.send([record], this.#sendOptions)
      this.lastStatus = status
    } catch (error) {
      this.#deps.counters.undeliverable++
      reportFailure(this.#deps, 'answer-undeliverable', 'send', error, this.#message, this.#envelope, this.#target)
      this.#undelivered = error
      throw error
    }
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
    reportFailure(this.#deps, kind, phase, error, this.#message, this.#envelope, this.#target)
    if (this.#deps.hooks.has('onError')) await runReported(this.#deps, 'onError', { ...this.#info(), error, phase }, this.#message, this.#envelope)
    const { status, body } = errorBody(error, this.#deps.policy.exposeErrorStack)
    await this.send('error', { status }, body).catch(async (sendError: unknown) => {
      if (sendError === this.#undelivered) return
      // An onSend hook refused the error answer itself: reported, and the error goes out without its headers.
      reportFailure(this.#deps, 'handler-failed', 'onSend', sendError, this.#message, this.#envelope, this.#target)
      const record = buildMessage(this.#to, 'error', { correlation: this.#envelope.id, service: this.#deps.service, status }, body, this.#deps.policy.codec, this.#deps.policy.maxMessageBytes)
      await this.#deps.transport.send([record], this.#sendOptions).catch(() => undefined)
    })
  }
}
