import { isKafkaIpcError } from './kafka-ipc-error.ts'
import type { ConcernLogger } from './log-concerns.ts'
import type { CallSpan, ConsumedRecord, ConsumeSpan, MessageTracer, OutgoingExchange, SendSpan } from './message-tracing.ts'
import type { Answer } from './pending-calls.ts'
import type { Outcome } from './pipeline/phases.ts'
import type { Policy } from './policy.ts'
import { wireHeader } from './protocol/envelope.ts'
import { envelopeField } from './protocol/packed-envelope.ts'
import { remoteError } from './protocol/error-body.ts'
import { topicNames } from './protocol/topic-names.ts'
import type { OutgoingMessage } from './transport.ts'

/**
 * The `messages` concern's lines (docs/operations.md#logging): one `debug` line per record a
 * service handles and per call, stream, gather and emit a client makes, written when it ends,
 * with its ids, route, outcome, status and duration. They ride on the tracing seam, which the
 * pipeline calls at exactly those starts and ends (docs/decisions/0009): while the concern is off
 * `tracer` is returned as it is, so a message costs nothing more than before.
 *
 * @example
 * ```ts
 * const tracer = withMessageLog(options.tracing?.({ name, instanceId }), logs.messages, name, policy)
 * ```
 */
export function withMessageLog(tracer: MessageTracer | undefined, log: ConcernLogger, name: string, policy: Policy): MessageTracer | undefined {
  return log.isEnabled('debug') ? new MessageLog(tracer, log, name, policy) : tracer
}

/** A tracer that writes a line per message and passes every call on to the tracer it wraps, while that one traces. */
class MessageLog implements MessageTracer {
  readonly #inner: MessageTracer | undefined
  readonly #log: ConcernLogger
  readonly #name: string
  readonly #policy: Policy

  constructor(inner: MessageTracer | undefined, log: ConcernLogger, name: string, policy: Policy) {
    this.#inner = inner
    this.#log = log
    this.#name = name
    this.#policy = policy
  }

  enabled(): boolean {
    return true
  }

  consume(record: ConsumedRecord): ConsumeSpan {
    const inner = this.#inner?.enabled() === true ? this.#inner.consume(record) : undefined
    const started = performance.now()
    return {
      run: (work) => (inner === undefined ? work() : inner.run(work)),
      settle: (outcome, status, error) => {
        inner?.settle(outcome, status, error)
        this.#handled(record, outcome, status, error, elapsed(started))
      },
    }
  }

  call(exchange: OutgoingExchange): CallSpan {
    const inner = this.#inner?.enabled() === true ? this.#inner.call(exchange) : undefined
    const started = performance.now()
    const seen: Seen = { id: undefined, status: undefined, answers: 0, failure: undefined }
    let ended = false
    return {
      run: (work) => (inner === undefined ? work() : inner.run(work)),
      send: (message) => {
        seen.id = envelopeField(message.headers, wireHeader.id)
        return inner?.send(message) ?? unsent
      },
      answered: (answer: Answer) => {
        inner?.answered(answer)
        if (seen.answers++ === 0) seen.status = answer.status
        // A gather's answers are each service's own: only a call or a stream fails by its answer.
        if (answer.kind === 'error' && exchange.kind !== 'gather') seen.failure ??= remoteError(answer.service ?? exchange.service ?? '', answer.status, answer.body)
      },
      end: (error) => {
        inner?.end(error)
        if (ended) return
        ended = true
        this.#called(exchange, seen, error, elapsed(started))
      },
    }
  }

  send(message: OutgoingMessage): SendSpan {
    const inner = this.#inner?.enabled() === true ? this.#inner.send(message) : undefined
    const started = performance.now()
    let ended = false
    return {
      end: (error) => {
        inner?.end(error)
        if (ended) return
        ended = true
        this.#emitted(message, error, elapsed(started))
      },
    }
  }

  #handled(record: ConsumedRecord, outcome: Outcome, status: number | undefined, error: unknown, durationMs: number): void {
    const { message, envelope, service } = record
    const route = this.#handledRoute(record)
    this.#log.debug(
      { service, kind: record.kind, route, messageId: envelope.id, correlationId: envelope.id, caller: envelope.service, topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, outcome, status, durationMs, ...failure(error) },
      `${service}: ${route} ${outcome}${status === undefined ? '' : ` ${String(status)}`} in ${String(durationMs)} ms`,
    )
  }

  #called(exchange: OutgoingExchange, seen: Seen, error: unknown, durationMs: number): void {
    const { kind, service: callee } = exchange
    const route = exchange.gather ?? `${exchange.method} ${exchange.unrouted === true ? exchange.path : exchange.route}`
    const outcome = error !== undefined ? localOutcome(error) : seen.failure !== undefined ? 'error' : 'ok'
    const answers = kind === 'call' ? undefined : seen.answers
    this.#log.debug(
      { service: this.#name, kind, route, callee, messageId: seen.id, correlationId: seen.id, topic: exchange.topic, outcome, status: seen.status, answers, durationMs, ...failure(error ?? seen.failure) },
      `${this.#name}: ${kind} ${callee === undefined ? '' : `${callee} `}${route} ${outcome}${seen.status === undefined ? '' : ` ${String(seen.status)}`}${answers === undefined ? '' : `, ${String(answers)} answer${answers === 1 ? '' : 's'}`} in ${String(durationMs)} ms`,
    )
  }

  #emitted(message: OutgoingMessage, error: unknown, durationMs: number): void {
    const parsed = topicNames.parse(this.#policy, message.topic)
    const route = parsed?.kind === 'event' ? parsed.name : message.topic
    const id = envelopeField(message.headers, wireHeader.id)
    const outcome = error === undefined ? 'ok' : 'failed'
    this.#log.debug(
      { service: this.#name, kind: 'emit', route, messageId: id, correlationId: id, topic: message.topic, key: message.key, outcome, durationMs, ...failure(error) },
      `${this.#name}: emit ${route} ${outcome} in ${String(durationMs)} ms`,
    )
  }

  /** The route as declared (`POST /quotes/:id`), the gather or the event; a mounted app's or an unrouted request's method and path. */
  #handledRoute({ kind, message, envelope, route }: ConsumedRecord): string {
    if (kind === 'event' || kind === 'gather') {
      const parsed = topicNames.parse(this.#policy, message.topic)
      return parsed?.kind === kind ? parsed.name : message.topic
    }
    return `${envelope.method ?? '?'} ${route ?? envelope.path ?? '?'}`
  }
}

/** What a call's line tells of its answers. */
interface Seen {
  id: string | undefined
  /** The first answer's status. */
  status: number | undefined
  answers: number
  /** The error answer that failed a call or a stream. */
  failure: Error | undefined
}

const unsent: SendSpan = { end: () => undefined }

/** How a call ended without its answer, as the metrics name it. */
function localOutcome(error: unknown): 'timeout' | 'cancelled' | 'failed' {
  if (isKafkaIpcError(error, 'KIPC_TIMEOUT')) return 'timeout'
  if (isKafkaIpcError(error, 'KIPC_CANCELLED')) return 'cancelled'
  return 'failed'
}

/** A failure's code and message, for a line. */
function failure(error: unknown): { code?: string; error?: string } {
  if (error === undefined) return {}
  return isKafkaIpcError(error) ? { code: error.code, error: error.message } : { error: describe(error) }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Milliseconds since `started` (performance.now()), to a tenth. */
function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10
}
