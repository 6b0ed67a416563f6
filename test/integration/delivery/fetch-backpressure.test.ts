// Bounded memory on real Kafka: a subscription whose handlers block stops fetching once it holds
// maxBufferedBytes' worth of records (docs/reliability.md#memory-bounds), and works the whole
// backlog off, each key in order and every record once, when the handlers are let go.
import assert from 'node:assert/strict'
import { consumerReceivesChannel } from '@platformatic/kafka'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BufferedRecords, IncomingMessage, type OutgoingMessage } from '../../../src/core/transport.ts'
import { bufferBudget } from '../../../src/transports/buffer-budget.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { recordBytes } from '../../../src/transports/record-bytes.ts'
import { waitUntil } from '../../conformance/request-reply.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'

const brokers = useKafka()

const records = 4_000
const keys = 40
const maxInFlight = 32
// 64 KiB: a quarter (16 KiB fetches) holds about 55 of these ~300-byte records, the started share
// more than maxInFlight of them — so both limits show.
const maxBufferedBytes = 64 * 1024

describe('a subscription whose handlers block', { timeout: 120_000 }, () => {
  it('stops fetching at maxBufferedBytes, never holds more, and handles every record once, in key order, when unblocked', async () => {
    const topic = uniqueName('backpressure')
    const group = uniqueName('backpressure-group')
    const transport = kafkaTransport({ brokers: brokers() })
    // Every record the client library parses for this group: fetched from the broker, wherever it waits.
    let fetched = 0
    const ignore = (): void => undefined
    const onReceive = {
      start(context: { readonly client: unknown }): void {
        if ((context.client as { readonly groupId?: string }).groupId === group) fetched++
      },
      end: ignore,
      asyncStart: ignore,
      asyncEnd: ignore,
      error: ignore,
    }
    consumerReceivesChannel.subscribe(onReceive)
    try {
      await transport.ensureTopics([{ name: topic, partitions: 3, replication: -1, retentionMs: 3_600_000 }], true)
      const value = new Uint8Array(200).fill(120)
      // Keys and sequence numbers of fixed width: every record counts the same bytes.
      const batch = (from: number): OutgoingMessage[] =>
        Array.from({ length: 200 }, (_, i) => ({ topic, key: `k${String((from + i) % keys).padStart(2, '0')}`, headers: new Map([['kipc-v', '1'], ['seq', String(from + i).padStart(4, '0')]]), value }))
      // Small sends: one record batch per partition stays well under a fetch (KIP-74 returns a larger first batch whole).
      for (let from = 0; from < records; from += 200) await transport.send(batch(from))
      const oneRecord = recordBytes(new IncomingMessage(topic, 0, 0n, 'k10', new Map([['kipc-v', '1'], ['seq', '0010']]), value, 0))

      let release: () => void = () => undefined
      const gate = new Promise<void>((resolve) => (release = resolve))
      const bySeq = new Map<string, number[]>()
      let running = 0
      let peakRunning = 0
      let finished = 0
      let peakHeldBytes = 0
      let peakHeldRecords = 0
      let worstUnfinished = 0
      let buffered: () => BufferedRecords = () => ({ records: 0, bytes: 0, paused: false })
      const check = (): void => {
        const held = buffered()
        peakHeldBytes = Math.max(peakHeldBytes, held.bytes)
        peakHeldRecords = Math.max(peakHeldRecords, held.records)
        worstUnfinished = Math.max(worstUnfinished, fetched - finished)
      }
      const subscription = await transport.subscribe({
        group,
        topics: [topic],
        startFrom: 'earliest',
        maxInFlight,
        maxBufferedBytes,
        onMessage: async (message: IncomingMessage) => {
          running++
          peakRunning = Math.max(peakRunning, running)
          check()
          await gate
          const key = message.key ?? ''
          bySeq.set(key, [...(bySeq.get(key) ?? []), Number(message.headers.get('seq'))])
          running--
          finished++
          check()
        },
        onError: (error) => assert.fail(String(error)),
      })
      buffered = () => subscription.buffered?.() ?? assert.fail('the Kafka subscription reports what it holds')
      const sampler = setInterval(check, 10)
      try {
        await waitUntil(() => buffered().paused, 'fetching pauses', 30_000)
        const heldAtPause = fetched
        await sleep(1_500)
        check()
        assert.equal(fetched, heldAtPause, 'nothing more was fetched while the handlers blocked')
        assert.ok(fetched < records / 10, `only a little of the backlog was fetched (${fetched} of ${records})`)
        assert.deepEqual(buffered(), { records: fetched, bytes: fetched * oneRecord, paused: true }, 'the subscription counts every record fetched (one broker)')
        assert.ok(peakRunning > 0 && peakRunning <= maxInFlight, `${peakRunning} handlers ran at once (others wait behind their key)`)

        release()
        await waitUntil(() => finished === records, 'the backlog is worked off', 60_000)
        check()
      } finally {
        clearInterval(sampler)
        release()
        await subscription.close()
      }
      assert.ok(peakHeldBytes <= maxBufferedBytes, `held at most ${peakHeldBytes} of ${maxBufferedBytes} bytes`)
      assert.ok(worstUnfinished * oneRecord <= maxBufferedBytes, `at most ${worstUnfinished} records (${worstUnfinished * oneRecord} bytes) fetched and unfinished at once`)
      assert.ok(peakHeldRecords <= maxInFlight + Math.ceil(bufferBudget(maxBufferedBytes).fetchBytes / oneRecord), `held at most ${peakHeldRecords} records: maxInFlight and one fetch`)
      assert.ok(peakRunning <= maxInFlight)
      assert.equal([...bySeq.values()].flat().length, records, 'every record handled once')
      for (const [key, seqs] of bySeq) {
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${key} in order`)
        assert.equal(new Set(seqs).size, seqs.length, `${key} without repeats`)
      }
    } finally {
      consumerReceivesChannel.unsubscribe(onReceive)
      await transport.deleteTopics([topic]).catch(() => undefined)
      await transport.close()
    }
  })
})
