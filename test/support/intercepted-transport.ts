// A transport that forwards everything to another and lets a test see or change its sends: to
// trace what a responder sends, or to make some sends fail as Kafka's would.
import { envelopeField } from '../../src/core/protocol/packed-envelope.ts'
import type { OutgoingMessage, Transport } from '../../src/core/transport.ts'

/** `inner` with its `send` replaced by `send`, which may call `inner.send` itself. */
export function interceptSends(inner: Transport, send: Transport['send']): Transport {
  return {
    name: inner.name,
    ensureTopics: (topics, create) => inner.ensureTopics(topics, create),
    deleteTopics: (names) => inner.deleteTopics(names),
    groupMembers: (group) => inner.groupMembers(group),
    partitionCount: (topic) => inner.partitionCount(topic),
    listTopics: (prefix) => inner.listTopics(prefix),
    lastWrites: (topics) => inner.lastWrites(topics),
    subscribe: (options) => inner.subscribe(options),
    openInbox: (options) => inner.openInbox(options),
    close: () => inner.close(),
    send,
  }
}

/** Whether a send carries a reply (a record of kind `reply`, which only ever goes to an inbox): what tests hold back or refuse. */
export function carriesReply(messages: readonly OutgoingMessage[]): boolean {
  return messages.some((message) => envelopeField(message.headers, 'kipc-kind') === 'reply')
}
