import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { describe, it } from 'node:test'
import { MemoryBroker } from '../../../../src/transports/memory/memory-broker.ts'

describe('MemoryBroker', () => {
  it('leaves no abort listener behind when a read wakes up: one long-lived signal serves thousands of waits', async () => {
    const broker = new MemoryBroker()
    broker.createTopic({ name: 't', partitions: 1, replication: 1, retentionMs: 60_000 })
    const controller = new AbortController()
    let offset = 0n
    for (let i = 0; i < 200; i++) {
      const reading = broker.read('t', 0, offset, controller.signal)
      broker.append({ topic: 't', partition: 0, headers: new Map(), value: new Uint8Array([i]) })
      const records = await reading
      assert.equal(records.length, 1)
      offset += 1n
    }
    assert.ok(getEventListeners(controller.signal, 'abort').length <= 1, `abort listeners left: ${getEventListeners(controller.signal, 'abort').length}`)
    const waiting = broker.read('t', 0, offset, controller.signal)
    controller.abort()
    assert.deepEqual(await waiting, [], 'an aborted read resolves empty')
  })
})
