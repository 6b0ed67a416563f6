import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type OutgoingMessage, type SendReceipt, type Transport, sendAndTell } from '../../../src/core/transport.ts'
import { ToldReceipt } from '../../support/told-receipt.ts'

const record: OutgoingMessage = { topic: 'orders', headers: new Map(), value: new Uint8Array([1]) }

/** A transport of which this test calls only `send` (and `sendAndTell`, where given). */
function transportSending(send: Transport['send']): Transport {
  return { name: 'fake', send } as unknown as Transport
}

describe('sendAndTell', () => {
  it('tells a transport without sendAndTell of its own through its promise, a turn later', async () => {
    const told = new ToldReceipt()
    sendAndTell(transportSending(() => Promise.resolve()), [record], undefined, told)
    assert.deepEqual(told.events, [])
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(told.events, ['sent'])
    const refused = new ToldReceipt()
    sendAndTell(transportSending(() => Promise.reject(new Error('no leader'))), [record], undefined, refused)
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(refused.events, ['unsent: no leader'])
  })

  it('tells a send that threw instead of rejecting as unsent, a turn later, not while sending', async () => {
    const told = new ToldReceipt()
    sendAndTell(
      transportSending(() => {
        throw new Error('closed')
      }),
      [record],
      undefined,
      told,
    )
    assert.deepEqual(told.events, [])
    await Promise.resolve()
    assert.deepEqual(told.events, ['unsent: closed'])
  })

  it('hands the receipt to a transport that takes one', () => {
    const told = new ToldReceipt()
    const taken: SendReceipt[] = []
    const transport = { name: 'fake', send: () => Promise.reject(new Error('not this way')), sendAndTell: (_messages: readonly OutgoingMessage[], _options: unknown, receipt: SendReceipt) => taken.push(receipt) } as unknown as Transport
    sendAndTell(transport, [record], undefined, told)
    assert.deepEqual(taken, [told])
  })
})
