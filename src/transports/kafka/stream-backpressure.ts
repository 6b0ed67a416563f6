import type { Readable } from 'node:stream'

/** What the gate asks of the dispatcher it guards. */
export interface Saturable {
  /** A record taken now would have to wait. */
  readonly saturated: boolean
  /** Resolves once it is not saturated. */
  room(): Promise<void>
}

/**
 * Stops a consume stream fetching while the records it brought cannot start, and lets it go on
 * once they can. Pausing the client's stream stops its fetch loop (a fetch goes out only while
 * the stream flows); the rest of the fetch being delivered lands in the stream's buffer and is
 * read out on the next tick — each record through the 'data' listener, into the dispatcher's
 * queue, where it is counted against the bound. The client also pauses and resumes the stream
 * around a rebalance: a record arriving while still full pauses it again.
 *
 * @example
 * ```ts
 * const gate = new StreamBackpressure(dispatcher, () => currentStream, () => closing)
 * stream.on('data', (record) => {
 *   dispatcher.take(record)
 *   gate.check(stream)
 * })
 * ```
 */
export class StreamBackpressure {
  readonly #target: Saturable
  readonly #current: () => Readable | undefined
  readonly #stopped: () => boolean
  /** The stream paused because the target was full, until it has room again. */
  #heldBack: Readable | undefined

  /**
   * @param current the stream records come from now (a recovery replaces it): only that one is resumed
   * @param stopped true once the subscription closes: nothing is resumed or read out then
   */
  constructor(target: Saturable, current: () => Readable | undefined, stopped: () => boolean) {
    this.#target = target
    this.#current = current
    this.#stopped = stopped
  }

  /** True while fetching is held back. */
  get paused(): boolean {
    return this.#heldBack !== undefined
  }

  /** Call after each record taken from `stream`: pauses it when the target is full. */
  check(stream: Readable): void {
    if (!this.#target.saturated) return
    if (!stream.isPaused()) {
      stream.pause()
      process.nextTick(() => {
        this.#readOut(stream)
      })
    }
    if (this.#heldBack === stream) return
    this.#heldBack = stream
    void this.#target.room().then(() => {
      if (this.#heldBack !== stream) return
      this.#heldBack = undefined
      if (stream === this.#current() && !this.#stopped()) stream.resume()
    })
  }

  #readOut(stream: Readable): void {
    if (stream !== this.#current() || this.#stopped()) return
    // Paused, the stream fetches nothing more, so this ends with its buffer.
    while (stream.read() !== null) {
      // The 'data' listener took the record.
    }
  }
}
