// An inbox is read without a consumer group, batch by batch; a transactional writer puts control
// batches (commit markers) between the records. The inbox must skip them — they are not answers —
// and read on past them: the record after a marker arrives too.
import assert from 'node:assert/strict'
import { Admin, Producer, stringSerializers } from '@platformatic/kafka'
import { describe, it } from 'node:test'
import type { IncomingMessage } from '../../../../src/core/transport.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { waitUntil } from '../../../conformance/request-reply.ts'
import { uniqueName, useKafka } from '../../../support/kafka.ts'

const brokers = useKafka()

describe('inbox and control batches', () => {
  it('delivers the records of a committed transaction and the record after its marker, and no marker', { timeout: 60_000 }, async () => {
    const transport = kafkaTransport({ brokers: brokers() })
    const topic = uniqueName('inbox-control')
    const received: IncomingMessage[] = []
    const inbox = await transport.openInbox({ topic, retentionMs: 60_000, create: true, onError: () => undefined, onMessage: (message) => received.push(message) })
    const producer = new Producer({ clientId: 'control-batches', bootstrapBrokers: brokers(), serializers: stringSerializers, idempotent: true, transactionalId: uniqueName('tx'), acks: -1 })
    try {
      const transaction = await producer.beginTransaction()
      await transaction.send({ messages: [{ topic, partition: 0, value: 'in transaction 1' }, { topic, partition: 0, value: 'in transaction 2' }] })
      await transaction.commit()
      // The coordinator writes the commit marker after commit() returns: wait until it is in the log.
      await waitForEndOffset(brokers(), topic, 3n)
      await producer.send({ messages: [{ topic, partition: 0, value: 'after the marker' }] })
      await waitUntil(() => received.length >= 3, 'the three records arrived', 30_000)
      assert.deepEqual(
        received.map((message) => new TextDecoder().decode(message.value)),
        ['in transaction 1', 'in transaction 2', 'after the marker'],
      )
      assert.deepEqual(
        received.map((message) => message.offset),
        [0n, 1n, 3n],
        'the commit marker at offset 2 was skipped',
      )
      assert.equal(inbox.health().state, 'consuming', 'a control batch is not a failure')
    } finally {
      await producer.close()
      await inbox.close(true)
      await transport.close()
    }
  })
})

async function waitForEndOffset(bootstrapBrokers: string[], topic: string, end: bigint): Promise<void> {
  const admin = new Admin({ clientId: 'control-batches', bootstrapBrokers })
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const offsets = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })
      if ((offsets.find((entry) => entry.name === topic)?.partitions[0]?.offset ?? 0n) >= end) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`${topic} did not reach offset ${end}`)
  } finally {
    await admin.close()
  }
}
