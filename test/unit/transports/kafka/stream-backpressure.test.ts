// The gate between the client's consume stream and the dispatcher, on a plain object-mode Readable
// standing in for the client's stream: it pauses when full, reads out what the stream had
// buffered, and resumes once there is room.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import { type Saturable, StreamBackpressure } from '../../../../src/transports/kafka/stream-backpressure.ts'

/** A target that holds `capacity` records before it is saturated; `finish()` frees one place. */
class Target implements Saturable {
  taken: number[] = []
  running = 0
  readonly #capacity: number
  readonly #waiters: (() => void)[] = []
  constructor(capacity: number) {
    this.#capacity = capacity
  }
  get saturated(): boolean {
    return this.running >= this.#capacity
  }
  take(value: number): void {
    this.taken.push(value)
    this.running++
  }
  finish(count: number): void {
    this.running -= count
    if (!this.saturated) for (const resolve of this.#waiters.splice(0)) resolve()
  }
  async room(): Promise<void> {
    if (!this.saturated) return
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }
}

/**
 * A stand-in for the client's MessagesStream: each fetch pushes `batch` records in one go, a
 * fetch goes out only while the stream flows and was not paused, and resume() after a pause starts
 * the next fetch (as @platformatic/kafka 2.x does).
 */
class FetchingStream extends Readable {
  fetches = 0
  readonly #batch: number
  readonly #total: number
  #next = 0
  #paused = false

  constructor(batch: number, total: number) {
    super({ objectMode: true })
    this.#batch = batch
    this.#total = total
  }

  override pause(): this {
    this.#paused = true
    return super.pause()
  }

  override resume(): this {
    const wasPaused = this.#paused
    this.#paused = false
    super.resume()
    if (wasPaused) process.nextTick(() => {
      this.#fetch()
    })
    return this
  }

  override _read(): void {
    this.#fetch()
  }

  #fetch(): void {
    if (this.#paused || this.readableFlowing === null || this.destroyed) return
    if (this.#next >= this.#total) {
      this.push(null)
      return
    }
    this.fetches++
    setImmediate(() => {
      let room = true
      for (let i = 0; i < this.#batch && this.#next < this.#total; i++) room = this.push(this.#next++)
      if (room) process.nextTick(() => {
        this.#fetch()
      })
    })
  }
}

describe('StreamBackpressure', () => {
  it('pauses when the target is full, moves the rest of the fetch into it, fetches nothing more, and resumes when there is room', async () => {
    const target = new Target(3)
    const stream = new FetchingStream(10, 40)
    let closing = false
    const gate = new StreamBackpressure(target, () => stream, () => closing)
    stream.on('data', (value: number) => {
      target.take(value)
      gate.check(stream)
    })
    await tick()
    await tick()
    await tick()
    assert.equal(gate.paused, true)
    assert.equal(stream.isPaused(), true)
    assert.deepEqual(target.taken, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'the whole first fetch went to the target, none left in the stream')
    assert.equal(stream.readableLength, 0)
    const fetched = stream.fetches
    for (let i = 0; i < 5; i++) await tick()
    assert.equal(stream.fetches, fetched, 'no fetch while paused')
    target.finish(10)
    for (let i = 0; i < 5; i++) await tick()
    assert.equal(target.taken.length, 20, 'resumed: the next fetch came')
    assert.equal(gate.paused, true, 'and filled the target again')
    closing = true
    target.finish(20)
    await tick()
    assert.equal(gate.paused, false)
    assert.equal(stream.isPaused(), true, 'a closing subscription is not resumed')
    stream.destroy()
  })

  it('pauses again when something else resumed the stream while the target is still full', async () => {
    const target = new Target(1)
    const stream = new FetchingStream(5, 100)
    const gate = new StreamBackpressure(target, () => stream, () => false)
    stream.on('data', (value: number) => {
      target.take(value)
      gate.check(stream)
    })
    for (let i = 0; i < 3; i++) await tick()
    assert.deepEqual(target.taken, [0, 1, 2, 3, 4])
    // The client resumes its stream after a rebalance.
    stream.resume()
    for (let i = 0; i < 5; i++) await tick()
    assert.equal(stream.isPaused(), true)
    assert.ok(target.taken.length <= 10, `at most one more fetch came (${target.taken.length})`)
    stream.destroy()
  })

  it('leaves a replaced stream paused', async () => {
    const target = new Target(1)
    const old = new FetchingStream(2, 10)
    let current: Readable | undefined = old
    const gate = new StreamBackpressure(target, () => current, () => false)
    old.on('data', (value: number) => {
      target.take(value)
      gate.check(old)
    })
    for (let i = 0; i < 3; i++) await tick()
    assert.equal(old.isPaused(), true)
    current = undefined
    target.finish(2)
    await tick()
    assert.equal(old.isPaused(), true)
    assert.equal(gate.paused, false)
    old.destroy()
  })
})
