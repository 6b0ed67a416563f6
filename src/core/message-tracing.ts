import type { Answer } from './pending-calls.ts'
import type { HandledKind, Outcome } from './pipeline/phases.ts'
import type { Envelope } from './protocol/envelope.ts'
import type { IncomingMessage, OutgoingMessage } from './transport.ts'

/**
 * The seam between kafka-ipc's pipeline and a tracer: the pipeline calls it around each record a
 * service handles and each call, stream, gather and event a client sends; an implementation
 * makes spans of them and carries their context across Kafka in the records' headers. The core
 * knows no tracing API: `kafka-ipc` implements this with OpenTelemetry (docs/operations.md#tracing).
 *
 * {@link MessageTracer.enabled} is asked once per record and per call; when it says no, nothing
 * else is called and the pipeline builds nothing for tracing.
 *
 * @example
 * ```ts
 * const tracing: MessageTracing = ({ name }) => ({
 *   enabled: () => true,
 *   consume: (record) => ({ run: (work) => work(), settle: (outcome) => console.log(name, record.message.topic, outcome) }),
 *   call: () => ({ run: (work) => work(), send: () => ({ end: () => undefined }), answered: () => undefined, end: () => undefined }),
 *   send: () => ({ end: () => undefined }),
 * })
 * const app = new Service({ name: 'pricing', transport, tracing })
 * ```
 */
export type MessageTracing = (client: { readonly name: string; readonly instanceId: string }) => MessageTracer

/**
 * The tracer of one client or service (see {@link MessageTracing}).
 *
 * @example
 * ```ts
 * const span = tracer.enabled() ? tracer.consume({ kind: 'event', service, group, message, envelope, route: undefined }) : undefined
 * ```
 */
export interface MessageTracer {
  /** Whether to trace now. Asked per record and per call — a tracer registered later is honoured — so it must be cheap. */
  enabled(): boolean
  /** One record a service handles — a request, a gather request, an event — past its drop rules, until its last answer is sent. */
  consume(record: ConsumedRecord): ConsumeSpan
  /** One call, stream or gather, from its start until its last answer (or its failure). */
  call(exchange: OutgoingExchange): CallSpan
  /** One event, built and about to be sent: its context goes into the record's headers. */
  send(message: OutgoingMessage): SendSpan
}

/**
 * A record a service is about to handle, as a tracer reads it.
 *
 * @example
 * ```ts
 * tracer.consume({ kind: 'route', service: 'pricing', group: 'kipc.pricing', message, envelope, route: '/quotes/:id' })
 * ```
 */
export interface ConsumedRecord {
  readonly kind: HandledKind
  /** The handling service. */
  readonly service: string
  /** The consumer group the record was read in. */
  readonly group: string
  /** The record: topic, partition, offset, key, and the headers a trace context is read from. */
  readonly message: IncomingMessage
  readonly envelope: Envelope
  /** The route as declared (`/quotes/:id`) when a typed route or stream matched; undefined for gathers, events and a mounted app. */
  readonly route: string | undefined
}

/**
 * The span of one record's handling.
 *
 * @example
 * ```ts
 * return span.run(() => runHandler(…)) // runHandler calls span.settle(outcome, status, error) before it ends
 * ```
 */
export interface ConsumeSpan {
  /** Runs the handling in the span's context — a call or an emit made by the handler is its child — and ends the span when it settles. */
  run(work: () => Promise<void>): Promise<void>
  /** How the handling ended: its outcome, the status answered (requests), the failure. Told before `run`'s work settles. */
  settle(outcome: Outcome, status: number | undefined, error: unknown): void
}

/**
 * A call, stream or gather about to start, as a tracer reads it.
 *
 * @example
 * ```ts
 * tracer.call({ kind: 'call', topic: 'kipc.pricing.requests', method: 'POST', path: '/quotes', route: '/quotes', service: 'pricing' })
 * ```
 */
export interface OutgoingExchange {
  readonly kind: 'call' | 'stream' | 'gather'
  readonly topic: string
  readonly method: string
  /** The path asked for, parameters filled in. */
  readonly path: string
  /** The route as declared (`/quotes/:id`). */
  readonly route: string
  /** The service asked; undefined for a gather. */
  readonly service: string | undefined
  /** The gather asked, for a gather. */
  readonly gather?: string | undefined
  /** True for `fetch()`: no route is declared, `route` is the path asked for. */
  readonly unrouted?: boolean | undefined
}

/**
 * The span of one call, stream or gather.
 *
 * @example
 * ```ts
 * const sending = span.send(message) // after buildMessage: writes traceparent into message.headers
 * ```
 */
export interface CallSpan {
  /** Runs `work` in the call's context (its `beforeSend` hooks see it as active). */
  run<R>(work: () => R): R
  /** The request record, built and about to be sent: starts its send span, a child of the call's, whose context goes into the record's headers. */
  send(message: OutgoingMessage): SendSpan
  /** An answer arrived (each reply, item, end, error, gather answer), before the exchange takes it. */
  answered(answer: Answer): void
  /** The exchange is over: its last answer taken, or `error` (a deadline, a cancel, a failed send). Idempotent. */
  end(error?: unknown): void
}

/**
 * The span of one record sent, until the broker acknowledged it.
 *
 * @example
 * ```ts
 * try { await send(message) } catch (error) { sending.end(error); throw error }
 * sending.end()
 * ```
 */
export interface SendSpan {
  /** The broker took the record, or refused it with `error`. Idempotent. */
  end(error?: unknown): void
}
