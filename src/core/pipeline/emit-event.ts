import type { EmitOptions } from '../call-types.ts'
import type { EventContract } from '../contracts.ts'
import type { KnownTopics } from '../known-topics.ts'
import { buildMessage } from '../protocol/envelope.ts'
import { checkOutgoingHeaders } from '../protocol/headers.ts'
import { newMessageId } from '../protocol/message-id.ts'
import { validate } from '../schema.ts'
import type { EmitTrace } from '../trace-contexts.ts'
import { PromisedSend } from '../promised-send.ts'
import { beforeSendHeaders } from './before-send.ts'
import { type ExchangeDeps, sendFailure } from './exchange.ts'
import { asError } from '../as-error.ts'

/** What an emit needs from its client: its exchange dependencies (name, policy, hooks, tracer, send) and the topics it knows exist. */
export interface EmitDeps {
  readonly exchange: ExchangeDeps
  readonly topics: KnownTopics
}

/**
 * Publishes one event to `topic` — created first when the policy allows and it is not known yet —
 * after validating its body against the contract and running the `beforeSend` hooks; resolves
 * once the broker has it (acks=all). A failed send rejects with a typed error ({@link sendFailure}).
 *
 * Not async functions, down to the send: an event whose topic is known, whose schema answers at
 * once and that no hook or tracer sees makes one promise, settled by its send's receipt, no others.
 *
 * @example
 * ```ts
 * await emitEvent({ exchange, topics }, booked, { id: 'B1' }, {}, 'kipc.events.booking.booked', undefined)
 * ```
 */
export function emitEvent(deps: EmitDeps, contract: EventContract, body: unknown, options: EmitOptions, topic: string, trace: EmitTrace | undefined): Promise<void> {
  try {
    const { policy } = deps.exchange
    if (!deps.topics.isKnown(topic)) return deps.topics.ensure(topic, policy.retentionMs.events, policy.autoCreateTopics).then(() => emitValid(deps, contract, body, options, topic, trace))
    return emitValid(deps, contract, body, options, topic, trace)
  } catch (error) {
    return Promise.reject(asError(error))
  }
}

function emitValid(deps: EmitDeps, contract: EventContract, body: unknown, options: EmitOptions, topic: string, trace: EmitTrace | undefined): Promise<void> {
  const valid = validate(contract.body, body, 'KIPC_BAD_REQUEST', `event ${contract.name}`)
  if (valid instanceof Promise) return valid.then((checked: unknown) => emitChecked(deps, contract, checked, options, topic, trace))
  return emitChecked(deps, contract, valid, options, topic, trace)
}

function emitChecked(deps: EmitDeps, contract: EventContract, valid: unknown, options: EmitOptions, topic: string, trace: EmitTrace | undefined): Promise<void> {
  const id = newMessageId()
  if (trace !== undefined) trace.id = id
  // No headers given, no map made: most events carry none.
  const headers = options.headers === undefined ? undefined : checkOutgoingHeaders(options.headers)
  const { hooks, client } = deps.exchange
  if (!hooks.has('beforeSend')) return sendEvent(deps.exchange, topic, options.key, valid, headers, id)
  return beforeSendHeaders(hooks, headers, { client, kind: 'emit', target: contract.name, id, topic }, valid).then((added) => sendEvent(deps.exchange, topic, options.key, valid, added, id))
}

function sendEvent(deps: ExchangeDeps, topic: string, key: string | undefined, valid: unknown, headers: Map<string, string> | undefined, id: string): Promise<void> {
  const { policy, tracer } = deps
  const message = buildMessage({ topic, key }, 'event', { service: deps.client }, valid, policy.codec, policy.maxMessageBytes, headers, id)
  // Asked per event, so that a tracer registered later is honoured; untraced, no span is built.
  // The span starts before the send: it writes its trace context into the record's headers.
  const sending = tracer === undefined || !tracer.enabled() ? undefined : tracer.send(message)
  // An event has no deadline of its own: the policy's timeout bounds the wait through a failover.
  if (sending === undefined) {
    // Told how the send ended: the emitter's one promise, settled by the receipt — not a second
    // promise chained to the transport's, with its reaction, alive until the broker has the event.
    const { promise, resolve, reject } = Promise.withResolvers<undefined>()
    deps.sendAndTell(message, policy.timeoutMs, new PromisedSend(resolve, reject, sendFailure))
    return promise
  }
  const sent = deps.send(message, policy.timeoutMs)
  return sent.then(
    () => {
      sending.end()
    },
    (error: unknown) => {
      sending.end(error)
      throw sendFailure(error)
    },
  )
}
