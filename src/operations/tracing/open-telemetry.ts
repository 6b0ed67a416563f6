import { type Context, context, propagation, ProxyTracerProvider, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type TextMapGetter, type TextMapSetter, trace, type Tracer, type TracerProvider } from '@opentelemetry/api'
import type { CallSpan, ConsumedRecord, ConsumeSpan, MessageTracer, MessageTracing, OutgoingExchange, SendSpan } from '../../core/message-tracing.ts'
import type { Answer } from '../../core/pending-calls.ts'
import type { Outcome } from '../../core/pipeline/phases.ts'
import type { WireHeaders } from '../../core/protocol/headers.ts'
import { wireHeader } from '../../core/protocol/envelope.ts'
import { envelopeField } from '../../core/protocol/packed-envelope.ts'
import type { OutgoingMessage } from '../../core/transport.ts'
import { answeredCode, consumeAttributes, errorType, exchangeAttributes, exchangeName, sendAttributes } from './attributes.ts'

/**
 * How kafka-ipc traces with OpenTelemetry (the `tracing` option of `createService` and `createClient`).
 *
 * @example
 * ```ts
 * const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] })
 * const app = createService({ name: 'pricing', tracing: { tracerProvider: provider } })
 * ```
 */
export interface TracingOptions {
  /**
   * Where spans go. Default: the globally registered provider (`provider.register()`,
   * `trace.setGlobalTracerProvider`), looked up per message — nothing is traced, and nothing is
   * built, while none is registered.
   */
  readonly tracerProvider?: TracerProvider
}

/**
 * The instrumentation scope kafka-ipc's spans are recorded under.
 *
 * @example
 * ```ts
 * const ours = exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === tracerName)
 * ```
 */
export const tracerName = 'kafka-ipc'

/**
 * Traces with the OpenTelemetry API (docs/operations.md#tracing): a CONSUMER span `process <topic>`
 * around each record a service handles, its parent the context the record carries, with the
 * handler running in it; a CLIENT span around each call, stream and gather (`pricing POST
 * /quotes`) with a PRODUCER span `send <topic>` for its request; a PRODUCER span for each event.
 * Trace context crosses Kafka in the `traceparent` and `tracestate` headers of requests and events,
 * written and read with the global propagator. The default of `createService` and `createClient`.
 *
 * @example
 * ```ts
 * import { createService, openTelemetryTracing, Service } from 'kafka-ipc'
 * const app = createService({ name: 'pricing', tracing: { tracerProvider: provider } })
 * // the same, for a Service built by hand:
 * const service = new Service({ name: 'pricing', transport, tracing: openTelemetryTracing({ tracerProvider: provider }) })
 * ```
 */
export function openTelemetryTracing(options: TracingOptions = {}): MessageTracing {
  const { tracerProvider } = options
  return ({ name, instanceId }) => new OpenTelemetryTracer(`${name}.${instanceId}`, tracerProvider)
}

const noTracerProvider = new ProxyTracerProvider().getDelegate()

/** Whether a tracer provider is registered globally: until one is, the API's proxy delegates to its no-op provider. */
function globalProviderRegistered(): boolean {
  const provider = trace.getTracerProvider()
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== noTracerProvider
}

const headerSetter: TextMapSetter<WireHeaders> = {
  set: (carrier, key, value) => {
    carrier.set(key, value)
  },
}

const headerGetter: TextMapGetter<ReadonlyMap<string, string>> = {
  get: (carrier, key) => carrier.get(key),
  keys: (carrier) => [...carrier.keys()],
}

class OpenTelemetryTracer implements MessageTracer {
  /** `messaging.client.id`: the service and its instance, as its inbox is named. */
  readonly #clientId: string
  readonly #provider: TracerProvider | undefined
  #from: TracerProvider | undefined
  #tracer: Tracer | undefined

  constructor(clientId: string, provider: TracerProvider | undefined) {
    this.#clientId = clientId
    this.#provider = provider
  }

  enabled(): boolean {
    return this.#provider !== undefined || globalProviderRegistered()
  }

  consume(record: ConsumedRecord): ConsumeSpan {
    // Read onto the root context, not the active one: a transport may deliver in the sender's context.
    const parent = propagation.extract(ROOT_CONTEXT, record.message.headers, headerGetter)
    const span = this.#get().startSpan(`process ${record.message.topic}`, { kind: SpanKind.CONSUMER, attributes: consumeAttributes(record, this.#clientId) }, parent)
    return new ProcessSpan(span, trace.setSpan(parent, span))
  }

  call(exchange: OutgoingExchange): CallSpan {
    const parent = context.active()
    const span = this.#get().startSpan(exchangeName(exchange), { kind: SpanKind.CLIENT, attributes: exchangeAttributes(exchange, this.#clientId) }, parent)
    return new ExchangeSpan(this, span, trace.setSpan(parent, span), exchange.kind === 'gather')
  }

  send(message: OutgoingMessage): SendSpan {
    return this.produce(message, context.active())
  }

  /** The PRODUCER span of one record, a child of `parent`; its context goes into the record's headers. */
  produce(message: OutgoingMessage, parent: Context): ProducerSpan {
    const span = this.#get().startSpan(`send ${message.topic}`, { kind: SpanKind.PRODUCER, attributes: sendAttributes(message, this.#clientId) }, parent)
    // Over a traceparent the application put in the headers: the span's context wins.
    propagation.inject(trace.setSpan(parent, span), message.headers, headerSetter)
    return new ProducerSpan(span)
  }

  /** The tracer of the provider in use, taken again when the global one changes. */
  #get(): Tracer {
    const provider = this.#provider ?? trace.getTracerProvider()
    if (provider !== this.#from || this.#tracer === undefined) {
      this.#from = provider
      this.#tracer = provider.getTracer(tracerName)
    }
    return this.#tracer
  }
}

/** Marks a span failed: status ERROR with `error.type`, as the conventions ask. */
function failSpan(span: Span, type: string, message: string | undefined): void {
  span.setAttribute('error.type', type)
  span.setStatus(message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message })
}

/** The CONSUMER span of one record: the handling runs in its context; it ends when the handling settles. */
class ProcessSpan implements ConsumeSpan {
  readonly #span: Span
  readonly #context: Context
  #outcome: Outcome | undefined
  #status: number | undefined
  #error: unknown

  constructor(span: Span, spanContext: Context) {
    this.#span = span
    this.#context = spanContext
  }

  run(work: () => Promise<void>): Promise<void> {
    return context.with(this.#context, work).then(
      () => {
        this.#end(undefined)
      },
      (error: unknown) => {
        this.#end(error)
        throw error
      },
    )
  }

  settle(outcome: Outcome, status: number | undefined, error: unknown): void {
    this.#outcome = outcome
    this.#status = status
    this.#error = error
  }

  #end(thrown: unknown): void {
    const span = this.#span
    const outcome = thrown === undefined ? this.#outcome : 'failed'
    const error = thrown ?? this.#error
    if (outcome !== undefined) span.setAttribute('kafka_ipc.outcome', outcome)
    if (this.#status !== undefined) span.setAttribute('http.response.status_code', this.#status)
    // A cancel is the caller's choice, not a failure; a deadline passed while handling is one.
    if (outcome === 'failed' || outcome === 'timed-out') {
      if (error instanceof Error) span.recordException(error)
      failSpan(span, error === undefined ? String(this.#status ?? '_OTHER') : errorType(error), error instanceof Error ? error.message : undefined)
    } else if (this.#status !== undefined && this.#status >= 500) {
      failSpan(span, String(this.#status), undefined)
    }
    span.end()
  }
}

/** The PRODUCER span of one record, until the broker acknowledged it. */
class ProducerSpan implements SendSpan {
  readonly #span: Span
  #ended = false

  constructor(span: Span) {
    this.#span = span
  }

  end(error?: unknown): void {
    if (this.#ended) return
    this.#ended = true
    if (error !== undefined) failSpan(this.#span, errorType(error), error instanceof Error ? error.message : undefined)
    this.#span.end()
  }
}

/**
 * The CLIENT span of one call, stream or gather, until its last answer: the reply's status, a
 * stream's status and any error it ends with; a gather's answers are each service's own, so only
 * a local failure (never a service's error) fails it.
 */
class ExchangeSpan implements CallSpan {
  readonly #tracer: OpenTelemetryTracer
  readonly #span: Span
  readonly #context: Context
  readonly #gather: boolean
  #producer: ProducerSpan | undefined
  #status: number | undefined
  #answeredError: string | undefined
  #ended = false

  constructor(tracer: OpenTelemetryTracer, span: Span, spanContext: Context, gather: boolean) {
    this.#tracer = tracer
    this.#span = span
    this.#context = spanContext
    this.#gather = gather
  }

  run<R>(work: () => R): R {
    return context.with(this.#context, work)
  }

  send(message: OutgoingMessage): SendSpan {
    const producer = this.#tracer.produce(message, this.#context)
    const id = envelopeField(message.headers, wireHeader.id)
    if (id !== undefined) this.#span.setAttributes({ 'messaging.message.id': id, 'messaging.message.conversation_id': id })
    this.#producer = producer
    return producer
  }

  answered(answer: Answer): void {
    if (this.#gather || this.#ended) return
    // The first record of an answer carries its status: a reply's, a stream's.
    this.#status ??= answer.status ?? (answer.kind === 'error' ? 500 : 200)
    if (answer.kind === 'error') this.#answeredError ??= answeredCode(answer.body) ?? String(answer.status ?? 500)
  }

  end(error?: unknown): void {
    if (this.#ended) return
    this.#ended = true
    const span = this.#span
    // A send the broker has not acknowledged yet ends with the exchange.
    this.#producer?.end(error)
    if (this.#status !== undefined) span.setAttribute('http.response.status_code', this.#status)
    if (error !== undefined) failSpan(span, errorType(error), error instanceof Error ? error.message : undefined)
    else if (this.#answeredError !== undefined) failSpan(span, this.#answeredError, undefined)
    else if (this.#status !== undefined && this.#status >= 400) failSpan(span, String(this.#status), undefined)
    span.end()
  }
}
