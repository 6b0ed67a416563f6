import { KafkaIpcError } from '../kafka-ipc-error.ts'
import type { Envelope, MessageKind } from './envelope.ts'

/** What a topic is for, as far as the kinds it may carry go (docs/protocol.md §3). */
export type TopicRole = 'requests' | 'events' | 'inbox'

/** The kinds a topic of each role carries. */
export interface AcceptedKinds {
  readonly requests: 'request'
  readonly events: 'event'
  readonly inbox: 'reply' | 'item' | 'items' | 'end' | 'error' | 'cancel' | 'credit' | 'heartbeat'
}

/**
 * The kinds each role of topic accepts: request and gather topics take requests, event topics
 * events, inboxes answers, cancels, stream credits and their owner's heartbeats. Any other kind on them is a misbehaving writer's record.
 */
const accepted: Readonly<Record<TopicRole, ReadonlySet<MessageKind>>> = {
  requests: new Set(['request']),
  events: new Set(['event']),
  inbox: new Set(['reply', 'item', 'items', 'end', 'error', 'cancel', 'credit', 'heartbeat']),
}

const roleNames: Readonly<Record<TopicRole, string>> = { requests: 'request topic', events: 'event topic', inbox: 'inbox' }

/**
 * Fails with `KIPC_PROTOCOL_ERROR` when a record's kind does not belong on the topic it was read
 * from; the caller drops it and reports the error.
 *
 * @example
 * ```ts
 * checkKind('requests', envelope, message.topic) // throws for a reply written to a request topic
 * ```
 */
export function checkKind<R extends TopicRole>(role: R, envelope: Envelope, topic: string): asserts envelope is Envelope & { readonly kind: AcceptedKinds[R] } {
  if (!accepted[role].has(envelope.kind)) {
    throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', `Unexpected ${envelope.kind} record on ${roleNames[role]} ${topic}.`)
  }
}
