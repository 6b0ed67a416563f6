// The dispatcher's bound on what a subscription holds: records and bytes started, a queue for the
// rest, `saturated` as the signal to stop fetching, and commits that never pass a queued record.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { OrderedDispatcher, type Positioned } from '../../../src/transports/ordered-dispatcher.ts'

interface Sized extends Positioned {
  readonly bytes: number
}

function record(offset: number, bytes: number, key?: string, partition = 0): Sized {
  return { topic: 't', partition, offset: BigInt(offset), key, bytes }
}

/** A handler each record of which waits until released, by offset. */
function gated(): { handler: (record: Sized) => Promise<void>; release: (offset: number) => void; running: Set<number> } {
  const gates = new Map<number, () => void>()
  const running = new Set<number>()
  return {
    running,
    handler: (r) =>
      new Promise<void>((resolve) => {
        running.add(Number(r.offset))
        gates.set(Number(r.offset), () => {
          running.delete(Number(r.offset))
          resolve()
        })
      }),
    release: (offset) => gates.get(offset)?.(),
  }
}

describe('OrderedDispatcher bounds', () => {
  it('starts records up to maxInFlight, queues the rest, and counts both in buffered', async () => {
    const gate = gated()
    const dispatcher = new OrderedDispatcher<Sized>({ maxInFlight: 2, sizeOf: (r) => r.bytes }, gate.handler, () => undefined)
    for (let offset = 0; offset < 5; offset++) dispatcher.take(record(offset, 10))
    await sleep(1)
    assert.deepEqual([...gate.running], [0, 1])
    assert.deepEqual(dispatcher.buffered, { records: 5, bytes: 50 })
    assert.equal(dispatcher.saturated, true)
    gate.release(0)
    await sleep(1)
    assert.deepEqual([...gate.running].sort(), [1, 2], 'the oldest queued record takes the free place')
    assert.deepEqual(dispatcher.buffered, { records: 4, bytes: 40 })
    for (const offset of [1, 2, 3]) {
      gate.release(offset)
      await sleep(1)
    }
    assert.equal(dispatcher.saturated, false, 'one record running, nothing queued')
    gate.release(4)
    await dispatcher.drain()
    assert.deepEqual(dispatcher.buffered, { records: 0, bytes: 0 })
  })

  it('starts records only while their bytes fit, but always one when none runs', async () => {
    const gate = gated()
    const dispatcher = new OrderedDispatcher<Sized>({ maxInFlight: 100, maxInFlightBytes: 100, sizeOf: (r) => r.bytes }, gate.handler, () => undefined)
    dispatcher.take(record(0, 60))
    dispatcher.take(record(1, 30))
    dispatcher.take(record(2, 30))
    dispatcher.take(record(3, 500))
    await sleep(1)
    assert.deepEqual([...gate.running], [0, 1], '60 + 30 fit in 100; another 30 does not')
    assert.equal(dispatcher.saturated, true)
    gate.release(0)
    gate.release(1)
    await sleep(1)
    assert.deepEqual([...gate.running], [2], 'the 500-byte record waits for the 30-byte one')
    gate.release(2)
    await sleep(1)
    assert.deepEqual([...gate.running], [3], 'larger than the bound, it runs alone')
    gate.release(3)
    await dispatcher.drain()
  })

  it('resolves room() and push() only once nothing is queued and there is room', async () => {
    const gate = gated()
    const dispatcher = new OrderedDispatcher<Sized>({ maxInFlight: 1, sizeOf: (r) => r.bytes }, gate.handler, () => undefined)
    let pushed = false
    void dispatcher.push(record(0, 1)).then(() => (pushed = true))
    dispatcher.take(record(1, 1))
    let roomy = false
    void dispatcher.room().then(() => (roomy = true))
    await sleep(5)
    assert.deepEqual([pushed, roomy], [false, false], 'the only place is taken and a record is queued')
    gate.release(0)
    await sleep(1)
    assert.deepEqual([pushed, roomy], [false, false], 'the queued record took the place')
    gate.release(1)
    await sleep(1)
    assert.deepEqual([pushed, roomy], [true, true])
  })

  it('commits the finished prefix only, never past a queued record, and discardQueued leaves the queue uncommitted', async () => {
    const gate = gated()
    const commits: bigint[] = []
    const dispatcher = new OrderedDispatcher<Sized>({ maxInFlight: 2, sizeOf: (r) => r.bytes }, gate.handler, (r) => commits.push(r.offset))
    for (let offset = 0; offset < 6; offset++) dispatcher.take(record(offset, 1))
    await sleep(1)
    gate.release(1)
    await sleep(1)
    assert.deepEqual(commits, [], '1 finished, 0 did not')
    gate.release(0)
    await sleep(1)
    assert.deepEqual(commits, [1n])
    dispatcher.discardQueued()
    assert.deepEqual(dispatcher.buffered, { records: 2, bytes: 2 }, 'records 2 and 3 had started; 4 and 5 are forgotten')
    gate.release(2)
    gate.release(3)
    await dispatcher.drain()
    assert.deepEqual(commits, [1n, 2n, 3n])
    assert.deepEqual([...gate.running], [], 'the forgotten records never ran')
  })

  it('drops every queued record of a partition that is no longer wanted, uncommitted, and runs the others', async () => {
    const gate = gated()
    const commits: string[] = []
    let lost = false
    const dispatcher = new OrderedDispatcher<Sized>(
      { maxInFlight: 1, sizeOf: (r) => r.bytes, stillWanted: (r) => !(lost && r.partition === 1) },
      gate.handler,
      (r) => commits.push(`${r.partition}:${r.offset}`),
    )
    dispatcher.take(record(0, 1, undefined, 0))
    dispatcher.take(record(10, 1, undefined, 1))
    dispatcher.take(record(1, 1, undefined, 0))
    dispatcher.take(record(11, 1, undefined, 1))
    await sleep(1)
    lost = true
    gate.release(0)
    await sleep(1)
    // Partition 1 came back at once: its later record must still not run ahead of the dropped one.
    lost = false
    assert.deepEqual([...gate.running], [1])
    assert.deepEqual(dispatcher.buffered, { records: 1, bytes: 1 }, 'both queued records of partition 1 went')
    gate.release(1)
    await dispatcher.drain()
    assert.deepEqual(commits, ['0:0', '0:1'])
  })

  it('keeps each key in order through the queue', async () => {
    const seen: string[] = []
    const dispatcher = new OrderedDispatcher<Sized>(
      { maxInFlight: 3, maxInFlightBytes: 50, sizeOf: (r) => r.bytes },
      async (r) => {
        await sleep(Number(r.offset) % 3)
        seen.push(`${r.key ?? ''}${r.offset}`)
      },
      () => undefined,
    )
    for (let offset = 0; offset < 60; offset++) dispatcher.take(record(offset, 20, `k${offset % 4}`))
    await dispatcher.drain()
    for (const key of ['k0', 'k1', 'k2', 'k3']) {
      const offsets = seen.filter((entry) => entry.startsWith(key)).map((entry) => Number(entry.slice(2)))
      assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), `${key} in order`)
      assert.equal(offsets.length, 15)
    }
  })
})
