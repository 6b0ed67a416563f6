// An emit resolves once the broker has the event and rejects, typed, when it will not take it —
// whether the transport tells its sends through a receipt or settles a promise.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { event } from '../../../src/core/contracts.ts'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import type { OutgoingMessage, SendOptions, SendReceipt, Transport } from '../../../src/core/transport.ts'
import { MemoryBroker, memoryTransport } from '../../../src/transports/memory/index.ts'
import { interceptSends } from '../../support/intercepted-transport.ts'

const booked = event('booking.booked', { body: z.object({ id: z.string() }) })

/** `inner` with a `sendAndTell` that tells a send of an event `unsent` with what `refusal` gives, when it gives one, and every other `sent` once `inner` has it. */
function tellingRefusals(inner: Transport, refusal: () => Error | undefined): Transport {
  return {
    ...interceptSends(inner, (messages, options) => inner.send(messages, options)),
    sendAndTell(messages: readonly OutgoingMessage[], options: SendOptions | undefined, receipt: SendReceipt): void {
      inner.send(messages, options).then(
        () => {
          const refused = messages.some((message) => message.topic.includes('booking.booked')) ? refusal() : undefined
          if (refused === undefined) receipt.sent()
          else receipt.unsent(refused)
        },
        (error: unknown) => {
          receipt.unsent(error)
        },
      )
    },
  }
}

describe('an emit the broker will not take', () => {
  for (const form of ['a promise', 'a receipt'] as const) {
    it(`resolves once taken, and rejects with the transport's KafkaIpcError as it is or anything else as KIPC_TRANSPORT_ERROR, told through ${form}`, async () => {
      const policy = definePolicy({ prefix: 'e', partitions: 1 })
      let refusal: () => Error | undefined = () => undefined
      const inner = memoryTransport(new MemoryBroker())
      const transport =
        form === 'a promise'
          ? interceptSends(inner, async (messages, options) => {
              const refused = messages.some((message) => message.topic.includes('booking.booked')) ? refusal() : undefined
              if (refused !== undefined) throw refused
              await inner.send(messages, options)
            })
          : tellingRefusals(inner, () => refusal())
      const client = new Client({ name: 'booking', policy, transport })
      try {
        // Taken: it resolves.
        await client.emit(booked, { id: 'B0' })
        refusal = () => new KafkaIpcError('KIPC_UNAVAILABLE', 'Kafka is unreachable.')
        await assert.rejects(client.emit(booked, { id: 'B1' }), { code: 'KIPC_UNAVAILABLE', message: 'Kafka is unreachable.' })
        refusal = () => new Error('MESSAGE_TOO_LARGE')
        await assert.rejects(client.emit(booked, { id: 'B2' }), (error: unknown) => error instanceof KafkaIpcError && error.code === 'KIPC_TRANSPORT_ERROR' && error.message.includes('MESSAGE_TOO_LARGE'))
      } finally {
        await client.close()
      }
    })
  }
})
