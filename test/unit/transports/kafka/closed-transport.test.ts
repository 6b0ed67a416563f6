import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import type { OutgoingMessage, SendReceipt } from '../../../../src/core/transport.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'

const record: OutgoingMessage = { topic: 'orders', headers: new Map(), value: new Uint8Array([1]) }

describe('a closed Kafka transport', () => {
  it('refuses a send by either form with KIPC_UNAVAILABLE, telling a receipt a turn later', async () => {
    // Never connected: closing a transport that has not reached a broker needs none.
    const transport = kafkaTransport({ brokers: ['127.0.0.1:9'] })
    await transport.close()
    await assert.rejects(transport.send([record]), (error: unknown) => isKafkaIpcError(error, 'KIPC_UNAVAILABLE'))
    const told: unknown[] = []
    const receipt: SendReceipt = {
      sent: () => told.push('sent'),
      unsent: (error) => told.push(error),
    }
    transport.sendAndTell?.([record], undefined, receipt)
    assert.deepEqual(told, [], 'nothing told within the call')
    await Promise.resolve()
    assert.equal(told.length, 1)
    assert.ok(isKafkaIpcError(told[0], 'KIPC_UNAVAILABLE'))
  })
})
