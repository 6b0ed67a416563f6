import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Compression } from '../../../../src/core/policy.ts'
import type { OutgoingMessage } from '../../../../src/core/transport.ts'
import { maxMergedBytes, SendBatcher } from '../../../../src/transports/kafka/send-batcher.ts'

const record = (topic: string, n: number): OutgoingMessage => ({ topic, key: String(n), headers: new Map(), value: new Uint8Array([n]) })

/** A produce function whose calls the test completes by hand. */
function manualProducer(): { produce: (messages: readonly OutgoingMessage[], compression: Compression) => Promise<void>; calls: { keys: string[]; compression: Compression; done: (error?: Error) => void }[] } {
  const calls: { keys: string[]; compression: Compression; done: (error?: Error) => void }[] = []
  return {
    calls,
    produce: (messages, compression) =>
      new Promise((resolve, reject) => {
        calls.push({ keys: messages.map((message) => message.key ?? ''), compression, done: (error) => {
            if (error === undefined) resolve()
            else reject(error)
          },
        })
      }),
  }
}

describe('SendBatcher', () => {
  it('merges waiting sends only up to maxMergedBytes per produce, and sends a larger one alone', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce)
    const big = (n: number, bytes: number): OutgoingMessage => ({ topic: 't', key: String(n), headers: new Map(), value: new Uint8Array(bytes) })
    const sends = [batcher.send([record('t', 0)]), batcher.send([big(1, 600 * 1024)]), batcher.send([big(2, 600 * 1024)]), batcher.send([big(3, 200 * 1024)]), batcher.send([big(4, maxMergedBytes + 1)]), batcher.send([record('t', 5)])]
    for (let produced = 0; produced < 10 && calls.length > produced; produced++) {
      calls[produced]?.done()
      await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(sends)
    assert.deepEqual(calls.map((call) => call.keys), [['0'], ['1'], ['2', '3'], ['4'], ['5']])
  })


  it('sends at once when idle, and gathers what arrives meanwhile into the next produce, in order', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce)
    const first = batcher.send([record('t', 1)])
    const second = batcher.send([record('t', 2)])
    const third = batcher.send([record('t', 3), record('t', 4)])
    assert.deepEqual(calls.map((call) => call.keys), [['1']])
    calls[0]?.done()
    await first
    await Promise.resolve()
    assert.deepEqual(calls.map((call) => call.keys), [['1'], ['2', '3', '4']])
    calls[1]?.done()
    await Promise.all([second, third])
  })

  it('keeps topics and compressions in separate lanes: one held up does not delay another', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce)
    void batcher.send([record('slow', 1)])
    const other = batcher.send([record('fast', 2)])
    const zstd = batcher.send([record('slow', 3)], 'zstd')
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

  it('fails only the sends of the batch that failed; the lane goes on', async () => {
    const { produce, calls } = manualProducer()
    const batcher = new SendBatcher(produce)
    const failing = batcher.send([record('t', 1)])
    const next = batcher.send([record('t', 2)])
    calls[0]?.done(new Error('topic deleted'))
    await assert.rejects(failing, /topic deleted/)
    await Promise.resolve()
    calls[1]?.done()
    await next
  })
})
