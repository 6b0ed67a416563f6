/**
 * Watches the event loop for stalls: a timer that should fire every `tickMs` measures how late it
 * fires. A probe then asks for the longest stall seen within its window — a loop blocked for 5 s
 * cannot answer the probe while blocked, but the probe after it still tells.
 *
 * @example
 * ```ts
 * const watch = new EventLoopWatch()
 * watch.longestStallWithin(10_000) // ms the loop was blocked at worst in the last 10 s
 * watch.stop()
 * ```
 */
export class EventLoopWatch {
  readonly #tickMs: number
  readonly #timer: NodeJS.Timeout
  /** Recent stalls (ms late, and when they ended), oldest first; only those worth keeping. */
  readonly #stalls: { readonly lateMs: number; readonly at: number }[] = []
  #expected: number

  constructor(tickMs = 100) {
    this.#tickMs = tickMs
    this.#expected = Date.now() + tickMs
    this.#timer = setInterval(() => {
      const now = Date.now()
      const lateMs = now - this.#expected
      this.#expected = now + tickMs
      // Timers fire a little late on a busy loop all the time: only a real stall is kept.
      if (lateMs >= tickMs) {
        this.#stalls.push({ lateMs, at: now })
        if (this.#stalls.length > 100) this.#stalls.shift()
      }
    }, tickMs)
    // Never the reason a process stays alive.
    this.#timer.unref()
  }

  /** The longest stall (ms) that ended within the last `windowMs`, counting one still going on now; 0 for none. */
  longestStallWithin(windowMs: number): number {
    const now = Date.now()
    const ongoing = Math.max(0, now - this.#expected - this.#tickMs)
    let longest = ongoing
    for (const stall of this.#stalls) if (now - stall.at <= windowMs) longest = Math.max(longest, stall.lateMs)
    return longest
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
