// The in-memory transport's consumer groups hand partitions over as Kafka's do: a member that
// joins takes partitions from the members there, starting each at the group's committed offset, so
// nothing finished is handled again and nothing is skipped.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { IncomingMessage, OutgoingMessage } from '../../../../src/core/transport.ts'
import { MemoryBroker } from '../../../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../../../src/transports/memory/memory-transport.ts'
import { waitUntil } from '../../../conformance/request-reply.ts'

const record = (partition: number, n: number): OutgoingMessage => ({ topic: 't', partition, headers: new Map(), value: new Uint8Array([n]) })

describe('memory transport consumer groups', () => {
  it('a joining member takes over partitions from the committed offsets: nothing twice, nothing skipped', async () => {
    const transport = memoryTransport(new MemoryBroker())
    await transport.ensureTopics([{ name: 't', partitions: 2, replication: 1, retentionMs: 60_000 }], true)
    const handled: { member: string; partition: number; offset: bigint }[] = []
    const subscribe = (member: string) =>
      transport.subscribe({
        group: 'g',
        topics: ['t'],
        startFrom: 'earliest',
        maxInFlight: 8,
        onError: (error) => {
          throw error
        },
        onMessage: (message: IncomingMessage) => {
          handled.push({ member, partition: message.partition, offset: message.offset })
          return Promise.resolve()
        },
      })
    const first = await subscribe('A')
    await transport.send([0, 1].flatMap((partition) => Array.from({ length: 10 }, (_, n) => record(partition, n))))
    await waitUntil(() => handled.length === 20, 'A handled the first 20')
    assert.deepEqual(first.assignments().map((assignment) => assignment.partition).sort(), [0, 1])
    const second = await subscribe('B')
    assert.equal(first.assignments().length, 1, 'A gave one partition up')
    assert.equal(second.assignments().length, 1, 'B took it')
    await transport.send([0, 1].flatMap((partition) => Array.from({ length: 10 }, (_, n) => record(partition, n))))
    await waitUntil(() => handled.length >= 40, 'the next 20 were handled')
    const seen = handled.map((entry) => `${entry.partition}:${entry.offset}`)
    assert.equal(new Set(seen).size, seen.length, 'no record was handled twice')
    assert.equal(seen.length, 40, 'none was skipped')
    assert.deepEqual(new Set(handled.slice(20).map((entry) => entry.member)), new Set(['A', 'B']), 'both members work after the hand-over')
    await second.close()
    await first.close()
    await transport.close()
  })
})
