import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { defaultPolicy, definePolicy, loadPolicy } from '../../../src/core/policy.ts'
import { IncomingMessage } from '../../../src/core/transport.ts'
import { bufferBudget } from '../../../src/transports/buffer-budget.ts'
import { recordBytes } from '../../../src/transports/record-bytes.ts'

describe('bufferBudget', () => {
  it('gives a quarter of the bound to one round of fetches, split among the brokers, and the rest to records started', () => {
    assert.deepEqual(bufferBudget(8 * 1024 * 1024), { startedBytes: 6 * 1024 * 1024, fetchBytes: 2 * 1024 * 1024 })
    assert.deepEqual(bufferBudget(8 * 1024 * 1024, 3), { startedBytes: 6 * 1024 * 1024, fetchBytes: 699_050 })
    for (const [bound, brokers] of [[1_000_000, 1], [1_000_003, 7], [4_096, 12]] as const) {
      const { startedBytes, fetchBytes } = bufferBudget(bound, brokers)
      assert.ok(startedBytes + fetchBytes * brokers <= bound, `${bound} over ${brokers} brokers stays within the bound`)
    }
  })

  it('never asks for a fetch of 0 bytes', () => {
    assert.deepEqual(bufferBudget(1), { startedBytes: 0, fetchBytes: 1 })
    assert.equal(bufferBudget(16, 100).fetchBytes, 1)
    assert.equal(bufferBudget(1024, 0).fetchBytes, 256)
  })
})

describe('recordBytes', () => {
  it('counts value, key and header bytes', () => {
    const headers = new Map([
      ['kipc-v', '1'],
      ['kipc-kind', 'event'],
    ])
    assert.equal(recordBytes(new IncomingMessage('t', 0, 0n, 'key', headers, new Uint8Array(200), 0)), 200 + 3 + 7 + 14)
    assert.equal(recordBytes(new IncomingMessage('t', 0, 0n, undefined, new Map(), new Uint8Array(0), 0)), 0)
  })
})

describe('policy maxBufferedBytes', () => {
  it('is 8 MiB unless KIPC_MAX_BUFFERED_BYTES or the config says otherwise', () => {
    assert.equal(defaultPolicy.maxBufferedBytes, 8 * 1024 * 1024)
    assert.equal(loadPolicy({ env: { KIPC_MAX_BUFFERED_BYTES: '33554432' } }).maxBufferedBytes, 32 * 1024 * 1024)
  })

  it('must be a positive integer of at least maxMessageBytes', () => {
    for (const [input, pattern] of [
      [{ maxBufferedBytes: 0 }, /maxBufferedBytes must be a positive integer/],
      [{ maxBufferedBytes: 1.5e6 + 0.5 }, /maxBufferedBytes must be a positive integer/],
      [{ maxBufferedBytes: 500_000 }, /maxBufferedBytes \(500000\) must be at least maxMessageBytes \(1000000\)/],
    ] as const) {
      assert.throws(() => definePolicy(input), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_POLICY') && pattern.test(error.message))
    }
    assert.equal(definePolicy({ maxBufferedBytes: 2_000, maxMessageBytes: 1_000 }).maxBufferedBytes, 2_000)
  })
})
