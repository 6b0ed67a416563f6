// At-least-once across a crash: a service process is SIGKILLed while one handler is still running.
// The record it was handling must be handled again by the next instance; nothing after it may be
// skipped; and the committed offset must never have moved past it, even though records of another
// key behind it in the same partition had already finished.
import assert from 'node:assert/strict'
import { Admin } from '@platformatic/kafka'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Client } from '../../../src/core/client.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { topicNames } from '../../../src/core/protocol/topic-names.ts'
import { Service } from '../../../src/core/service.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { waitUntil } from '../../conformance/request-reply.ts'
import { spawnWithLines } from '../../support/child-lines.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'
import { ledgerEvent } from './ledger-event.ts'

const brokers = useKafka()
const child = fileURLToPath(new URL('crash-child.ts', import.meta.url))

describe('a service killed in the middle of a handler', { timeout: 120_000 }, () => {
  it('hands the unfinished record to the next instance, skips nothing after it, and never committed past it', async () => {
    const prefix = uniqueName('crash')
    const policy = definePolicy({ prefix, partitions: 1 })
    const topic = topicNames.event(policy, ledgerEvent.name)
    const group = topicNames.eventGroup(policy, 'ledger')
    const { process: doomed, lines: output, exited } = spawnWithLines(child, { KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: prefix, HANG_SEQ: '4' })
    const emitter = new Client({ name: 'booking', policy, transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
    const admin = new Admin({ clientId: 'crash-test', bootstrapBrokers: brokers() })
    let successor: Service | undefined
    try {
      await waitUntil(() => output.includes('listening'), 'the child service listens', 60_000)
      // One partition, two keys: seq 4 (key A) hangs; 6 and 8 (key A) wait behind it; B's 5, 7, 9 finish.
      for (let seq = 0; seq < 10; seq++) await emitter.emit(ledgerEvent, { seq }, { key: seq % 2 === 0 ? 'A' : 'B' })
      const done = (seq: number): boolean => output.includes(`done ${seq}`)
      await waitUntil(() => [0, 1, 2, 3, 5, 7, 9].every(done) && output.some((line) => line.startsWith('start 4 ')), 'all but the hanging key finished', 30_000)
      const hangingOffset = BigInt(output.find((line) => line.startsWith('start 4 '))?.split(' ')[2] ?? '-1')
      // Positive signal: the commits of 0–3 have landed. A commit for 5, 7 or 9 would go past 4.
      let committed = -1n
      for (let attempt = 0; attempt < 100 && committed < hangingOffset; attempt++) {
        committed = await committedOffset(admin, group, topic)
        if (committed < hangingOffset) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      assert.equal(committed, hangingOffset, 'the group committed up to the unfinished record and not past it')
      doomed.kill('SIGKILL')
      await exited

      const handled: number[] = []
      successor = new Service({ name: 'ledger', policy, transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true, instanceId: 'successor' })
      successor.on(ledgerEvent, (event) => {
        handled.push(event.body.seq)
      })
      await successor.listen()
      // The dead member holds the partition until its session times out (3 s by default).
      await waitUntil(() => [4, 6, 8].every((seq) => handled.includes(seq)), 'the successor handled the unfinished record and what waited behind it', 60_000)
      assert.deepEqual(handled.filter((seq) => seq < 4), [], 'nothing committed is handled again')
      assert.deepEqual(handled.filter((seq) => seq % 2 === 0), [4, 6, 8], 'key A resumes at the unfinished record, in order')
      const everything = new Set([...[0, 1, 2, 3, 5, 7, 9].filter(done), ...handled])
      assert.deepEqual([...everything].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'nothing is skipped')
    } finally {
      doomed.kill('SIGKILL')
      await successor?.close()
      await emitter.close()
      await admin.close()
    }
  })
})

async function committedOffset(admin: Admin, group: string, topic: string): Promise<bigint> {
  const [entry] = await admin.listConsumerGroupOffsets({ groups: [group] })
  return entry?.topics.find((candidate) => candidate.name === topic)?.partitions.find((partition) => partition.partitionIndex === 0)?.committedOffset ?? -1n
}
