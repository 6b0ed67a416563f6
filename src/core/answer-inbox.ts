import type { FailureContext } from './failure.ts'
import { recordContext } from './failure.ts'
import { KafkaIpcError } from './kafka-ipc-error.ts'
import type { Answer, PendingCalls } from './pending-calls.ts'
import type { Policy } from './policy.ts'
import { type Envelope, readEnvelope, wireHeader } from './protocol/envelope.ts'
import { decodeBody } from './protocol/bodies.ts'
import { checkBodySize } from './protocol/body-size.ts'
import { type AcceptedKinds, checkKind } from './protocol/record-checks.ts'
import type { RunningRequests } from './running-requests.ts'
import type { IncomingMessage } from './transport.ts'

/** What an {@link AnswerInbox} hands its records to. */
export interface AnswerInboxDeps {
  readonly policy: Policy
  /** Calls this instance waits on: answers go to them. */
  readonly pending: PendingCalls
  /** Requests this instance runs as a service: cancels go to them. */
  readonly running: RunningRequests
  /** A record that broke the protocol, dropped: counted by the caller of this and reported. */
  readonly dropped: (error: unknown, context: Omit<FailureContext, 'kind' | 'service'>) => void
}

/**
 * The reading end of an instance's private inbox: checks each record (envelope, kind, size),
 * then routes it — heartbeats (the instance's own, written for the inbox sweep) nowhere, answers (`reply`, `item`, `items`, `end`, `error`) to the pending call they
 * name, cancels (and stream credits) to the running handler they name. A record that breaks the protocol is dropped and
 * reported; an answer whose body cannot be decoded fails its call with `502 KIPC_PROTOCOL_ERROR`.
 *
 * @example
 * ```ts
 * const answers = new AnswerInbox({ policy, pending, running, dropped: report })
 * await transport.openInbox({ topic, onMessage: (message) => { answers.receive(message) }, … })
 * ```
 */
export class AnswerInbox {
  readonly #deps: AnswerInboxDeps

  constructor(deps: AnswerInboxDeps) {
    this.#deps = deps
  }

  receive(message: IncomingMessage): void {
    const { policy, pending } = this.#deps
    let read: Envelope | undefined
    let envelope: Envelope & { readonly kind: AcceptedKinds['inbox'] }
    try {
      if (message.rejected !== undefined) throw message.rejected
      read = readEnvelope(message.headers)
      checkKind('inbox', read, message.topic)
      checkBodySize(message.value.byteLength, policy.maxMessageBytes, read.kind)
      envelope = read
    } catch (error) {
      pending.counters.malformedMessages++
      this.#deps.dropped(error, recordContext(message, read))
      return
    }
    // The owner's own sign of life, for the inbox sweep of other instances: nothing to do here.
    if (envelope.kind === 'heartbeat') return
    if (envelope.kind === 'cancel') {
      this.#deps.running.cancel(envelope.correlation)
      return
    }
    if (envelope.kind === 'credit') {
      this.#deps.running.credit(envelope.correlation, envelope.seq)
      return
    }
    // A piece of a streamed HTTP body is bytes whatever its content-type: never decoded.
    if (envelope.kind === 'item' && envelope.stream === 'bytes') {
      pending.deliver(envelope.correlation, { ...answerOf(envelope, message, 'item', message.value), chunk: true })
      return
    }
    // Looked up once, in this turn: whether its call takes a reply undecoded, and who takes the answer.
    const entry = pending.entryOf(envelope.correlation)
    // fetch() hands a reply's bytes on as they are: decoding them would be work thrown away.
    if (envelope.kind === 'reply' && entry?.rawReplies === true) {
      pending.deliverTo(entry, answerOf(envelope, message, 'reply', undefined))
      return
    }
    let body: unknown
    try {
      body = decodeBody(message.value, message.headers.get(wireHeader.contentType), policy.codec)
      if (envelope.kind === 'items' && (!Array.isArray(body) || body.length === 0)) throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', 'An items record must carry a non-empty array.')
    } catch (error) {
      const undecoded = envelope.kind === 'error' ? undefined : { kind: envelope.kind, status: envelope.status }
      pending.deliverTo(entry, { kind: 'error', body: { code: 'KIPC_PROTOCOL_ERROR', message: (error as Error).message }, status: 502, service: envelope.service, seq: envelope.seq, replyTo: envelope.replyTo, wireHeaders: message.headers, raw: message.value, ...(undecoded === undefined ? {} : { undecoded }) })
      return
    }
    if (envelope.kind === 'items') {
      deliverItems(pending, envelope, message, body as unknown[])
      return
    }
    pending.deliverTo(entry, answerOf(envelope, message, envelope.kind, body))
  }
}

/**
 * One `items` record, several items: each goes on as the item it would have been, seq by seq. Apart
 * from `receive`, so that `receive` makes no closure: one that captured the record would make V8
 * put it in a context on every answer, whatever branch runs (docs/performance.md).
 */
function deliverItems(pending: PendingCalls, envelope: Envelope, message: IncomingMessage, items: readonly unknown[]): void {
  const first = envelope.seq ?? 0
  for (let index = 0; index < items.length; index++) {
    pending.deliver(envelope.correlation, { kind: 'item', body: items[index], status: envelope.status, service: envelope.service, seq: first + index, replyTo: envelope.replyTo, wireHeaders: message.headers })
  }
}

/** An answer as the record carries it: its envelope's fields, its headers and its bytes. */
function answerOf(envelope: Envelope, message: IncomingMessage, kind: Answer['kind'], body: unknown): Answer {
  return { kind, body, status: envelope.status, service: envelope.service, seq: envelope.seq, replyTo: envelope.replyTo, wireHeaders: message.headers, raw: message.value }
}
