// The memory transport bounds its subscriptions as Kafka's do: records started at once are capped
// by maxInFlight and by the started share of maxBufferedBytes, and buffered() reports them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BufferedRecords } from '../../../../src/core/transport.ts'
import { MemoryBroker } from '../../../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../../../src/transports/memory/memory-transport.ts'

describe('memory transport bounds', () => {
  it('runs no more bytes at once than three quarters of maxBufferedBytes, and processes everything once released', async () => {
    const transport = memoryTransport(new MemoryBroker())
    await transport.ensureTopics([{ name: 'backlog', partitions: 2, replication: 1, retentionMs: 1_000 }], true)
    const value = new Uint8Array(1_000)
    await transport.send(Array.from({ length: 200 }, (_, i) => ({ topic: 'backlog', key: `k${i % 10}`, headers: new Map([['seq', String(i)]]), value })))
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    let running = 0
    let peak = 0
    const seen = new Map<string, number[]>()
    const subscription = await transport.subscribe({
      group: 'g',
      topics: ['backlog'],
      startFrom: 'earliest',
      maxInFlight: 100,
      maxBufferedBytes: 8_000,
      onMessage: async (message) => {
        running++
        peak = Math.max(peak, running)
        await gate
        running--
        const key = message.key ?? ''
        seen.set(key, [...(seen.get(key) ?? []), Number(message.headers.get('seq'))])
      },
      onError: (error) => assert.fail(String(error)),
    })
    await sleep(20)
    const held = subscription.buffered?.() as BufferedRecords
    // Each record counts 1,000 + 2 (key) + 3 + 1 to 3 (header) bytes: five fit in 6,000, the started share.
    assert.equal(peak, 5, 'five records of ~1 KB started; a sixth would pass 6,000 bytes')
    assert.ok(held.bytes <= 8_000, `held ${held.bytes} bytes`)
    assert.equal(held.paused, true)
    release()
    await sleep(50)
    const handled = [...seen.values()].flat()
    assert.equal(handled.length, 200)
    for (const [key, seqs] of seen) assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${key} in order`)
    assert.deepEqual(subscription.buffered?.(), { records: 0, bytes: 0, paused: false })
    await subscription.close()
    await transport.close()
  })
})
