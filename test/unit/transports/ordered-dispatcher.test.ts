import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type HandlingWatcher, LeaveUncommitted, type ToldHandling } from '../../../src/core/transport.ts'
import { OrderedDispatcher, type Positioned } from '../../../src/transports/ordered-dispatcher.ts'

function record(offset: number, key?: string, partition = 0): Positioned {
  return { topic: 't', partition, offset: BigInt(offset), key }
}

/** A handling that tells its watcher when the test ends it, and counts the promises asked of it. */
class Told implements ToldHandling {
  watcher: HandlingWatcher | undefined
  promised = 0
  readonly #ended = Promise.withResolvers<undefined>()

  constructor() {
    // Awaited only by whoever asks (then): a failure nobody awaits is no unhandled rejection.
    this.#ended.promise.catch(() => undefined)
  }

  watch(watcher: HandlingWatcher): void {
    this.watcher = watcher
  }

  then<A = undefined, B = never>(onFulfilled?: ((value: undefined) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    this.promised++
    return this.#ended.promise.then(onFulfilled, onRejected)
  }

  handled(): void {
    this.watcher?.handled()
    this.#ended.resolve(undefined)
  }

  failed(error: unknown): void {
    this.watcher?.failed(error)
    this.#ended.reject(error)
  }
}

describe('OrderedDispatcher', () => {
  it('runs one key at a time in order, other keys concurrently', async () => {
    const log: string[] = []
    let concurrent = 0
    let maxConcurrent = 0
    const dispatcher = new OrderedDispatcher<Positioned>(
      100,
      async (r) => {
        concurrent++
        maxConcurrent = Math.max(maxConcurrent, concurrent)
        log.push(`start ${r.key ?? '-'}${r.offset}`)
        await sleep(r.key === 'a' ? 20 : 5)
        log.push(`end ${r.key ?? '-'}${r.offset}`)
        concurrent--
      },
      () => undefined,
    )
    await dispatcher.push(record(0, 'a'))
    await dispatcher.push(record(1, 'a'))
    await dispatcher.push(record(2, 'b'))
    await dispatcher.drain()
    assert.ok(log.indexOf('end a0') < log.indexOf('start a1'), 'a1 waits for a0')
    assert.ok(log.indexOf('start b2') < log.indexOf('end a0'), 'b2 does not wait for a')
    assert.equal(maxConcurrent, 2)
  })

  it('commits only past the finished prefix of each partition', async () => {
    const commits: bigint[] = []
    const release = new Map<bigint, () => void>()
    const dispatcher = new OrderedDispatcher<Positioned>(
      100,
      (r) => new Promise<void>((resolve) => release.set(r.offset, resolve)),
      (r) => commits.push(r.offset),
    )
    for (let offset = 0; offset < 3; offset++) await dispatcher.push(record(offset))
    release.get(2n)?.()
    await sleep(1)
    assert.deepEqual(commits, [], 'offset 2 finished but 0 and 1 did not')
    release.get(0n)?.()
    await sleep(1)
    assert.deepEqual(commits, [0n])
    release.get(1n)?.()
    await dispatcher.drain()
    assert.deepEqual(commits, [0n, 2n], 'the prefix 1..2 commits as one')
  })

  it('applies backpressure at maxInFlight and keeps consuming after a handler throws', async () => {
    let running = 0
    let peak = 0
    const dispatcher = new OrderedDispatcher<Positioned>(
      3,
      async (r) => {
        running++
        peak = Math.max(peak, running)
        await sleep(5)
        running--
        if (r.offset === 1n) throw new Error('bad record')
      },
      () => undefined,
    )
    for (let offset = 0; offset < 12; offset++) await dispatcher.push(record(offset))
    await dispatcher.drain()
    assert.equal(peak, 3)
    assert.equal(dispatcher.inFlight, 0)
  })

  it('finishes a record its handler handled synchronously at once — committed, its room given back — and walks a long queue of them without recursing', () => {
    const committed: bigint[] = []
    let runs = 0
    const dispatcher = new OrderedDispatcher<Positioned>(
      { maxInFlight: 1, maxInFlightBytes: 10, sizeOf: () => 10 },
      () => {
        runs++
        return undefined
      },
      (done) => committed.push(done.offset),
    )
    // The first record is started and finished inside take(): nothing in flight after it.
    dispatcher.take(record(0))
    assert.deepEqual([runs, dispatcher.inFlight, committed], [1, 0, [0n]])
    // A handler that holds the only slot makes the next 100,000 wait in the queue; when it
    // finishes, they all run synchronously one after another — a stack per record would overflow.
    let release: (() => void) | undefined
    const held = new OrderedDispatcher<Positioned>(
      1,
      (r) => {
        if (r.offset !== 0n) return undefined
        return new Promise<void>((resolve) => {
          release = resolve
        })
      },
      (done) => committed.push(done.offset),
    )
    committed.length = 0
    for (let offset = 0; offset <= 100_000; offset++) held.take(record(offset))
    assert.equal(held.inFlight, 100_001)
    release?.()
    return held.drain().then(() => {
      assert.equal(held.inFlight, 0)
      assert.equal(committed.at(-1), 100_000n)
    })
  })

  it('leaves a record whose handler throws LeaveUncommitted synchronously uncommitted, and commits past one whose handler throws anything else', () => {
    const committed: bigint[] = []
    const dispatcher = new OrderedDispatcher<Positioned>(
      4,
      (r) => {
        if (r.offset === 1n) throw new Error('bad record')
        if (r.offset === 3n) throw new LeaveUncommitted('stopping')
        return undefined
      },
      (done) => committed.push(done.offset),
    )
    for (let offset = 0; offset < 5; offset++) dispatcher.take(record(offset))
    assert.deepEqual(committed, [0n, 1n, 2n], 'nothing past the record left uncommitted')
    assert.equal(dispatcher.inFlight, 0)
  })

  it('finishes a record whose handling tells its end when it is told, asking no promise of a keyless one; the next record of its key waits for it', async () => {
    const committed: bigint[] = []
    const handlings = new Map<bigint, Told>()
    const dispatcher = new OrderedDispatcher<Positioned>(
      8,
      (r) => {
        const told = new Told()
        handlings.set(r.offset, told)
        return told
      },
      (done) => committed.push(done.offset),
    )
    for (let offset = 0; offset < 3; offset++) dispatcher.take(record(offset))
    dispatcher.take(record(3, 'k'))
    dispatcher.take(record(4, 'k'))
    await sleep(1)
    const told = (offset: number): Told => handlings.get(BigInt(offset)) ?? assert.fail(`record ${String(offset)} did not start`)
    assert.deepEqual([told(0).promised, told(1).promised, told(2).promised], [0, 0, 0], 'the keyless records are watched, not awaited')
    assert.equal(handlings.has(4n), false, 'a keyed record waits for the one before it')
    told(1).handled()
    assert.deepEqual(committed, [], 'nothing past the first unfinished record is committed')
    told(0).handled()
    assert.deepEqual(committed, [1n])
    told(2).failed(new LeaveUncommitted('stopping'))
    told(3).failed(new Error('the reply failed'))
    await sleep(1)
    assert.deepEqual(committed, [1n], 'the record left uncommitted holds its partition back')
    told(4).handled()
    assert.deepEqual([dispatcher.inFlight, committed], [0, [1n]])
  })
})
