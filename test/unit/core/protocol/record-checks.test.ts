import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { Envelope, type MessageKind } from '../../../../src/core/protocol/envelope.ts'
import { checkKind, type TopicRole } from '../../../../src/core/protocol/record-checks.ts'

function envelope(kind: MessageKind): Envelope {
  return new Envelope(kind, 'i', undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined)
}

const kinds: readonly MessageKind[] = ['event', 'request', 'reply', 'item', 'items', 'end', 'error', 'cancel']

describe('checkKind', () => {
  it('lets each role of topic carry exactly the kinds of protocol.md §3', () => {
    const allowed: Record<TopicRole, readonly MessageKind[]> = {
      requests: ['request'],
      events: ['event'],
      inbox: ['reply', 'item', 'items', 'end', 'error', 'cancel'],
    }
    for (const [role, ok] of Object.entries(allowed) as [TopicRole, readonly MessageKind[]][]) {
      for (const kind of kinds) {
        const check = (): void => {
          checkKind(role, envelope(kind), 't')
        }
        if (ok.includes(kind)) assert.doesNotThrow(check, `${kind} on ${role}`)
        else assert.throws(check, (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR') && error.message.includes(`Unexpected ${kind} record`), `${kind} on ${role}`)
      }
    }
  })
})
