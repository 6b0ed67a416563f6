import type { EventContract } from '../contracts.ts'
import type { EventTrace } from '../trace-contexts.ts'
import { channels, traced } from '../tracing.ts'
import type { EventHandler } from '../handler-types.ts'
import { isKafkaIpcError, KafkaIpcError } from '../kafka-ipc-error.ts'
import { type Envelope, readEnvelope, wireHeader } from '../protocol/envelope.ts'
import { decodeBody } from '../protocol/bodies.ts'
import { userHeaders } from '../protocol/headers.ts'
import { checkBodySize } from '../protocol/body-size.ts'
import { checkKind } from '../protocol/record-checks.ts'
import { topicNames } from '../protocol/topic-names.ts'
import { validate } from '../schema.ts'
import type { IncomingMessage } from '../transport.ts'
import type { FailedPhase, MessageInfo, Outcome } from './phases.ts'
import { dropRecord, messageInfo, noHooks, reportFailure, runReported, type ServicePipelineDeps } from './service-pipeline.ts'

/** An event subscription: its contract and handler. */
export interface Subscribed {
  readonly contract: EventContract
  readonly handler: EventHandler<EventContract>
}

/**
 * The service pipeline for one record of an event topic — the request pipeline without its answer
 * phases (docs/lifecycle.md): receive → drop rules (version, kind, copy) → route → `onReceive` →
 * decode (size) → validate → `preHandler` → handler → `onResponse`; a failure goes through
 * `onError` and is reported; the event still counts as consumed either way.
 *
 * @example
 * ```ts
 * transport.subscribe({ …, onMessage: (message) => handleEvent(deps, message, (topic) => subscriptionsByTopic.get(topic)) })
 * ```
 */
export function handleEvent(deps: ServicePipelineDeps, message: IncomingMessage, subscribed: (topic: string) => Subscribed | undefined): Promise<void> {
  const { counters } = deps
  // Looked up by topic: no name is parsed out of it for a record that has a subscription.
  const subscription = subscribed(message.topic)
  let envelope: Envelope | undefined
  try {
    envelope = readEnvelope(message.headers)
    checkKind('events', envelope, message.topic)
    if (subscription === undefined) throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', `No subscription to the event topic ${message.topic}.`)
  } catch (error) {
    counters.eventsFailed++
    return dropRecord(deps, 'malformed', error, message, envelope, eventName(deps, message.topic))
  }
  const name = subscription.contract.name
  if (deps.isCopy(message, envelope.id)) {
    counters.duplicates++
    return dropRecord(deps, 'copy', undefined, message, envelope, name)
  }
  const headers = userHeaders(message.headers)
  if (!channels.event.hasSubscribers) return runEventHandler(deps, message, envelope, subscription, name, headers, undefined)
  const read = envelope
  return traced(
    channels.event,
    (): EventTrace => ({ service: deps.service, name, id: read.id, source: read.service, topic: message.topic, partition: message.partition, offset: message.offset, headers }),
    (trace) => runEventHandler(deps, message, read, subscription, name, headers, trace),
  )
}

/** Decodes, validates and runs one event's handler — with the hooks of each phase. */
async function runEventHandler(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, subscription: Subscribed, name: string, headers: Readonly<Record<string, string>>, trace: EventTrace | undefined): Promise<void> {
  const { policy, counters, hooks } = deps
  const startedAt = Date.now()
  const state: Record<string, unknown> = {}
  let info: MessageInfo | undefined
  const infoOf = hooks.isEmpty ? noHooks : (): MessageInfo => (info ??= messageInfo(deps, 'event', name, message, envelope, headers, state))
  let phase: FailedPhase = 'onReceive'
  let outcome: Outcome = 'handled'
  try {
    if (hooks.has('onReceive')) await hooks.run('onReceive', infoOf())
    phase = 'decode'
    checkBodySize(message.value.byteLength, policy.maxMessageBytes, 'event')
    const raw = decodeBody(message.value, message.headers.get(wireHeader.contentType), policy.codec)
    phase = 'validate'
    const body = await validate(subscription.contract.body, raw, 'KIPC_BAD_REQUEST', `event ${name}`)
    if (hooks.has('preHandler')) {
      phase = 'preHandler'
      await hooks.run('preHandler', { ...infoOf(), body })
    }
    phase = 'handler'
    await subscription.handler(
      { id: envelope.id, name, headers, body, key: message.key, source: envelope.service },
      { signal: deps.shutdown, topic: message.topic, partition: message.partition, offset: message.offset, state, decorations: deps.decorations },
    )
    counters.eventsHandled++
  } catch (error) {
    outcome = 'failed'
    if (trace !== undefined) trace.error = error
    counters.eventsFailed++
    // A record that breaks the protocol or the size limit was never the handler's to fail.
    const dropped = phase === 'decode' && isKafkaIpcError(error) && (error.code === 'KIPC_PROTOCOL_ERROR' || error.code === 'KIPC_PAYLOAD_TOO_LARGE')
    reportFailure(deps, dropped ? 'message-dropped' : 'handler-failed', phase, error, message, envelope, name)
    if (hooks.has('onError')) await runReported(deps, 'onError', { ...infoOf(), error, phase }, message, envelope)
  }
  if (trace !== undefined) trace.outcome = outcome
  if (hooks.has('onResponse')) await runReported(deps, 'onResponse', { ...infoOf(), outcome, status: undefined, durationMs: Date.now() - startedAt }, message, envelope)
}

/** The event an event topic carries, for a report about a record nobody subscribed to. */
function eventName(deps: ServicePipelineDeps, topic: string): string {
  const parsed = topicNames.parse(deps.policy, topic)
  return parsed?.kind === 'event' ? parsed.name : topic
}
