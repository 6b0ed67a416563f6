import { isKafkaIpcError } from './kafka-ipc-error.ts'
import type { Logger } from './logger.ts'
import type { IncomingMessage } from './transport.ts'
import type { Envelope } from './protocol/envelope.ts'
import type { FailedPhase } from './pipeline/phases.ts'

/**
 * What went wrong, from the service's side:
 * - `handler-failed`: a handler threw or its input or output failed validation (the caller got an
 *   error answer; an event is still consumed);
 * - `message-dropped`: a record was not handled at all — malformed, expired before it arrived, an
 *   unknown route, or a reply target that is not an inbox;
 * - `answer-undeliverable`: a reply, stream record or error could not be sent before the deadline;
 * - `transport`: a channel failed (it re-establishes itself; see `health()`).
 */
export type FailureKind = 'handler-failed' | 'message-dropped' | 'answer-undeliverable' | 'transport'

/**
 * Where a failure happened: enough to find the record (`topic`, `partition`, `offset`,
 * `messageId`), the exchange it belongs to (`correlationId`), what it was for (`route`) and who
 * sent it (`caller`).
 */
export interface FailureContext {
  readonly kind: FailureKind
  /** The step of the pipeline or the hook phase where it failed (docs/lifecycle.md). */
  readonly phase?: FailedPhase | undefined
  /** The service or client that reports it. */
  readonly service: string
  /** What the record asked for: `POST /quotes/42`, a gather or an event name. */
  readonly target?: string | undefined
  /**
   * The route that took it, as declared (`POST /quotes/:id`), the gather or the event name; for a
   * mounted app, or a record no route took, what it asked for. The log line's `route`.
   */
  readonly route?: string | undefined
  readonly topic?: string | undefined
  readonly partition?: number | undefined
  readonly offset?: bigint | undefined
  /** The record's `kipc-id`. */
  readonly messageId?: string | undefined
  /**
   * The request the record belongs to: a request's or an event's own id, an answer's or a
   * cancel's `kipc-correlation` — one value across a call's request and its answers.
   */
  readonly correlationId?: string | undefined
  /** The service that sent the record, when it said. */
  readonly caller?: string | undefined
}

/**
 * Receives every failure that has no caller to tell, with its context.
 *
 * @example
 * ```ts
 * const app = createService({
 *   name: 'pricing',
 *   onError: (error, context) => metrics.increment(`failures.${context.kind}`),
 * })
 * ```
 */
export type ErrorListener = (error: unknown, context: FailureContext) => void

/**
 * The context fields a consumed record gives: where it is, and — once its envelope could be read —
 * its message id, the request it belongs to and the service that sent it.
 */
export function recordContext(message: IncomingMessage, envelope?: Pick<Envelope, 'id' | 'service'> & { readonly correlation?: string | undefined }): Pick<FailureContext, 'topic' | 'partition' | 'offset' | 'messageId' | 'correlationId' | 'caller'> {
  return { topic: message.topic, partition: message.partition, offset: message.offset, messageId: envelope?.id, correlationId: envelope?.correlation ?? envelope?.id, caller: envelope?.service }
}

/**
 * The listener used when none is given: one structured line per failure through `logger` (the
 * `failures` concern's, docs/operations.md#logging) — `error` for failures of the service itself
 * (status 500 and above, undeliverable answers), `warn` for what the sender got wrong (status
 * below 500, dropped records). The line carries the context with `route` (the context's `target`
 * when it names no route), the error's `code`, `status` and message. Transport failures are left
 * to the channel state lines ({@link logChannelState}), which say once that a channel stopped and
 * once that it consumes again, instead of once per retry.
 *
 * @example
 * ```ts
 * const onError = logFailures(stderrLogger())
 * onError(new Error('ledger down'), { kind: 'handler-failed', service: 'ledger', route: 'booking.created' })
 * // kafka-ipc error: ledger: handler-failed booking.created: ledger down {"kind":"handler-failed",…}
 * ```
 */
export function logFailures(logger: Logger): ErrorListener {
  return (error, context) => {
    if (context.kind === 'transport') return
    const code = isKafkaIpcError(error) ? error.code : undefined
    const status = isKafkaIpcError(error) ? error.status : 500
    const message = error instanceof Error ? error.message : String(error)
    const { kind, phase, service, target, route = target, ...where } = context
    const details = { kind, ...(phase === undefined ? {} : { phase }), service, ...(route === undefined ? {} : { route }), ...where, ...(code === undefined ? {} : { code }), status, error: message }
    const line = `${service}: ${kind}${route === undefined ? '' : ` ${route}`}: ${message}`
    if (context.kind === 'answer-undeliverable' || (context.kind === 'handler-failed' && status >= 500)) logger.error(details, line)
    else logger.warn(details, line)
  }
}
