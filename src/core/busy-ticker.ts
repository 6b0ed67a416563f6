/**
 * One unref'd interval shared by many watched things — deadlines, leases — that runs only while
 * there is something to watch: `start()` when something is added, and `tick` says after each
 * round whether anything is left; the first idle tick stops it. Stopped at a tick rather than
 * when the last thing goes: a steady trickle of one at a time keeps one timer instead of making
 * one each. Unref'd: what it watches keeps its own process alive, the watch never does.
 *
 * @example
 * ```ts
 * const ticker = new BusyTicker(50, () => {
 *   for (const send of sends) if (send.until <= Date.now()) send.expire()
 *   return sends.size > 0
 * })
 * sends.add(send)
 * ticker.start()
 * ```
 */
export class BusyTicker {
  readonly #everyMs: number
  readonly #tick: () => boolean
  #timer: NodeJS.Timeout | undefined

  /** @param tick one round of the watch; returns whether anything is still watched. */
  constructor(everyMs: number, tick: () => boolean) {
    this.#everyMs = everyMs
    this.#tick = tick
  }

  /** Runs the watch from now on, unless it runs already. */
  start(): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => {
      if (this.#tick()) return
      clearInterval(this.#timer)
      this.#timer = undefined
    }, this.#everyMs)
    this.#timer.unref()
  }
}
