import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Compression } from '../../../../src/core/policy.ts'
import type { OutgoingMessage } from '../../../../src/core/transport.ts'
import { maxPartitionBytes, maxProduceBytes, type ProduceBatch } from '../../../../src/transports/kafka/produce-batch.ts'
import { SendBatcher, type SendBatcherOptions } from '../../../../src/transports/kafka/send-batcher.ts'
import { ToldReceipt } from '../../../support/told-receipt.ts'

const record = (topic: string, n: number): OutgoingMessage => ({ topic, key: String(n), headers: new Map(), value: new Uint8Array([n]) })

/** A produce function whose calls the test completes by hand. */
function manualProducer(): { produce: (batch: ProduceBatch, compression: Compression) => Promise<void>; calls: { keys: string[]; partitions: (number | undefined)[]; compression: Compression; done: (error?: Error) => void }[] } {
  const calls: { keys: string[]; partitions: (number | undefined)[]; compression: Compression; done: (error?: Error) => void }[] = []
  return {
    calls,
    produce: ({ messages, partitions }, compression) =>
      new Promise((resolve, reject) => {
        calls.push({ keys: messages.map((message) => message.key ?? ''), partitions: [...partitions], compression, done: (error) => {
            if (error === undefined) resolve()
            else reject(error)
          },
        })
      }),
  }
}

/** Retries what says it is retryable; deadlines checked every 10 ms. */
function options(closed = (): boolean => false): SendBatcherOptions {
  return { mayRetry: (error) => (error as { retryable?: boolean }).retryable === true, closed, expired: (messages) => new Error(`deadline passed for ${messages.map((message) => message.key ?? '').join(',')}`), tickMs: 10 }
}

const retryable = (message: string): Error => Object.assign(new Error(message), { retryable: true })

/** Completes each produce as it starts, until none is left (at most 10). */
async function completeAll(calls: { done: (error?: Error) => void }[]): Promise<void> {
  await settled()
  for (let produced = 0; produced < 10 && calls.length > produced; produced++) {
    calls[produced]?.done()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Lets the code running now finish: a lane's produce starts after it. */
const settled = (): Promise<void> => Promise.resolve()

/** Lets the lane's loop and the produces it starts run. */
async function turns(count = 3): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve))
}

describe('SendBatcher', () => {
  it('tells a receipt once, after its produce and never within the call that sent — in one produce with promised sends, in order', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const first = new ToldReceipt()
    const third = new ToldReceipt()
    batcher.sendAndTell([record('t', 1)], 'none', 'packed', undefined, first)
    const second = batcher.send([record('t', 2)])
    batcher.sendAndTell([record('t', 3)], 'none', 'packed', Date.now() + 5_000, third)
    assert.deepEqual(first.events, [], 'nothing told while sending')
    await settled()
    assert.deepEqual(calls.map((call) => call.keys), [['1', '2', '3']])
    calls[0]?.done()
    await second
    assert.deepEqual([first.events, third.events], [['sent'], ['sent']])
    const failing = new ToldReceipt()
    batcher.sendAndTell([record('t', 4)], 'none', 'packed', undefined, failing)
    await settled()
    calls[1]?.done(new Error('topic deleted'))
    await turns()
    assert.deepEqual(failing.events, ['unsent: topic deleted'])
  })

  it('tells a receipt its deadline passed once, and nothing when the hung produce completes later', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const late = new ToldReceipt()
    batcher.sendAndTell([record('t', 1)], 'none', 'packed', Date.now() + 30, late)
    await sleep(100)
    assert.deepEqual(late.events, ['unsent: deadline passed for 1'])
    calls[0]?.done()
    await turns()
    assert.deepEqual(late.events, ['unsent: deadline passed for 1'])
  })

  it('merges waiting sends up to maxPartitionBytes in one partition, and sends a larger one alone', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const big = (n: number, bytes: number): OutgoingMessage => ({ topic: 't', key: String(n), headers: new Map(), value: new Uint8Array(bytes) })
    // Keyed records the producer places: counted together, as though they went to one partition.
    const sends = [batcher.send([record('t', 0)]), batcher.send([big(1, 600 * 1024)]), batcher.send([big(2, 600 * 1024)]), batcher.send([big(3, 200 * 1024)]), batcher.send([big(4, maxPartitionBytes + 1)]), batcher.send([record('t', 5)])]
    await completeAll(calls)
    await Promise.all(sends)
    assert.deepEqual(calls.map((call) => call.keys), [['0', '1'], ['2', '3'], ['4'], ['5']])
  })

  it('places records as it puts a produce together, and merges past maxPartitionBytes when the bytes spread over partitions — up to maxProduceBytes', async () => {
    const { produce, calls } = manualProducer()
    let next = 0
    // As the Kafka transport places keyless records on a topic of 10 partitions: round-robin.
    const batcher = new SendBatcher(produce, { ...options(), place: (message) => message.partition ?? next++ % 10 })
    const sized = (n: number, bytes: number, partition?: number): OutgoingMessage => ({ topic: 't', key: String(n), ...(partition === undefined ? {} : { partition }), headers: new Map(), value: new Uint8Array(bytes) })
    const first = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => batcher.send([sized(n, maxPartitionBytes - 1)]))
    await completeAll(calls)
    await Promise.all(first)
    // Ten records just under the partition limit, one per partition: nine fit maxProduceBytes, the tenth waits.
    assert.ok(9 * maxPartitionBytes <= maxProduceBytes && 10 * maxPartitionBytes > maxProduceBytes)
    assert.deepEqual(calls.map((call) => call.keys), [['0', '1', '2', '3', '4', '5', '6', '7', '8'], ['9']])
    // The tenth is placed again for its own produce: round-robin goes on from where it was.
    assert.deepEqual(calls.map((call) => call.partitions), [[0, 1, 2, 3, 4, 5, 6, 7, 8], [0]])
    calls.length = 0
    // A send of two records for one partition goes whole or waits: 100 + 500 + 500 KiB would pass the limit.
    const second = [batcher.send([sized(20, 100 * 1024, 3)]), batcher.send([sized(21, 500 * 1024, 3), sized(22, 500 * 1024, 3)]), batcher.send([sized(23, 500 * 1024, 4)])]
    await completeAll(calls)
    await Promise.all(second)
    assert.deepEqual(calls.map((call) => call.keys), [['20'], ['21', '22', '23']])
  })

  it('sends when idle once the code running now is done — all it sent in one produce — and gathers what arrives meanwhile into the next, in order', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const first = batcher.send([record('t', 1)])
    const second = batcher.send([record('t', 2)])
    assert.equal(calls.length, 0, 'not before the code that sends is done')
    await settled()
    assert.deepEqual(calls.map((call) => call.keys), [['1', '2']])
    const third = batcher.send([record('t', 3), record('t', 4)])
    const fourth = batcher.send([record('t', 5)])
    await turns()
    assert.equal(calls.length, 1, 'not produced beside the one in flight')
    calls[0]?.done()
    await Promise.all([first, second])
    await settled()
    assert.deepEqual(calls.map((call) => call.keys), [['1', '2'], ['3', '4', '5']])
    calls[1]?.done()
    await Promise.all([third, fourth])
  })

  it('keeps topics and compressions in separate lanes: one held up does not delay another', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    void batcher.send([record('slow', 1)])
    const other = batcher.send([record('fast', 2)])
    const zstd = batcher.send([record('slow', 3)], 'zstd')
    await settled()
    assert.deepEqual(
      calls.map((call) => [call.keys, call.compression]),
      [
        [['1'], 'none'],
        [['2'], 'none'],
        [['3'], 'zstd'],
      ],
    )
    calls[1]?.done()
    calls[2]?.done()
    await Promise.all([other, zstd])
  })

  it('keeps one lane per compression and topic: a send of another form waits behind its own form\'s produce, even after the first form\'s lane went idle', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const plain = batcher.send([record('t', 1)])
    const first = batcher.send([record('t', 2)], 'zstd')
    await settled()
    assert.deepEqual(calls.map((call) => [call.keys, call.compression]), [[['1'], 'none'], [['2'], 'zstd']])
    calls[0]?.done()
    await plain
    await turns()
    // The plain lane is gone; the zstd lane still waits for its produce: the next zstd send joins it.
    const second = batcher.send([record('t', 3)], 'zstd')
    await turns()
    assert.equal(calls.length, 2, 'not produced beside the one in flight')
    calls[1]?.done()
    await first
    await turns()
    assert.deepEqual(calls.map((call) => [call.keys, call.compression]).slice(2), [[['3'], 'zstd']])
    calls[2]?.done()
    await second
  })

  it('fails only the sends of the batch that failed; the lane goes on', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const failing = batcher.send([record('t', 1)])
    await settled()
    const next = batcher.send([record('t', 2)])
    calls[0]?.done(new Error('topic deleted'))
    await assert.rejects(failing, /topic deleted/)
    await Promise.resolve()
    calls[1]?.done()
    await next
  })

  it('tries a send with a deadline again through retryable failures, ahead of what arrived meanwhile', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const first = batcher.send([record('t', 1)], 'none', 'packed', Date.now() + 5_000)
    await settled()
    const second = batcher.send([record('t', 2)], 'none', 'packed', Date.now() + 5_000)
    calls[0]?.done(retryable('leader moved'))
    // The backoff of a first retry is 50–100 ms.
    await sleep(150)
    assert.deepEqual(calls.map((call) => call.keys), [['1'], ['1', '2']])
    calls[1]?.done()
    await Promise.all([first, second])
  })

  it('fails at once a send without a deadline, or a failure that is not retryable', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const noDeadline = batcher.send([record('t', 1)])
    await settled()
    calls[0]?.done(retryable('leader moved'))
    await assert.rejects(noDeadline, /leader moved/)
    await turns()
    const refused = batcher.send([record('t', 2)], 'none', 'packed', Date.now() + 5_000)
    await turns()
    calls[1]?.done(new Error('not authorized'))
    await assert.rejects(refused, /not authorized/)
    assert.equal(calls.length, 2)
  })

  it('fails a send still unacknowledged at its deadline, within a tick, while its produce hangs; only once', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce, options())
    const start = Date.now()
    const late = batcher.send([record('t', 1)], 'none', 'packed', start + 40)
    let after = -1
    const failed = late.catch((caught: unknown) => {
      after = Date.now() - start
      return caught
    })
    // The deadline timer is unref'd, as in a process whose sockets keep it alive; this sleep does here.
    await sleep(100)
    const error = await failed
    assert.match((error as Error).message, /deadline passed for 1/)
    assert.ok(after >= 40 && after < 40 + 60, `failed ${String(after)} ms after sending`)
    // Acknowledged later: nothing changes, and the lane goes on.
    calls[0]?.done()
    await turns()
    const next = batcher.send([record('t', 2)])
    await settled()
    assert.deepEqual(calls.map((call) => call.keys), [['1'], ['2']])
    calls[1]?.done()
    await next
  })

  it('drops a send whose deadline passed while it waited, and stops retrying when the transport closes', async () => {
    const { produce, calls } = manualProducer()
    let closed = false
    const batcher = new SendBatcher(produce, options(() => closed))
    const riding = batcher.send([record('t', 1)], 'none', 'packed', Date.now() + 5_000)
    await settled()
    const waiting = batcher.send([record('t', 2)], 'none', 'packed', Date.now() + 20)
    await assert.rejects(waiting, /deadline passed for 2/)
    closed = true
    calls[0]?.done(retryable('connection closed'))
    await assert.rejects(riding, /connection closed/)
    await turns()
    assert.equal(calls.length, 1, 'the expired send was never produced')
  })
})
