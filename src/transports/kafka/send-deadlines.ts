/** A send being watched: failed with `expire()` if still unsettled at `until` (epoch ms). */
interface Watched {
  readonly until: number
  readonly expire: () => void
}

/**
 * Fails sends that are still unacknowledged at their deadline, with one shared timer instead of
 * a timer per send: requests and replies all carry a deadline, and a timer created and cleared
 * for each of tens of thousands of sends a second costs more than the sends' own bookkeeping. The
 * timer ticks every `tickMs` while anything is watched and stops on the first idle tick, so a
 * deadline fires at most `tickMs` late.
 */
export class SendDeadlines {
  readonly #tickMs: number
  readonly #watched = new Set<Watched>()
  #timer: NodeJS.Timeout | undefined

  constructor(tickMs = 50) {
    this.#tickMs = tickMs
  }

  /** Watches a send; call the returned function once it settled. */
  watch(until: number, expire: () => void): () => void {
    const watched: Watched = { until, expire }
    this.#watched.add(watched)
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => {
        this.#tick()
      }, this.#tickMs)
      // A watched send keeps its own caller waiting; the watch itself must not keep a process alive.
      this.#timer.unref()
    }
    return () => this.#watched.delete(watched)
  }

  #tick(): void {
    if (this.#watched.size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
      return
    }
    const now = Date.now()
    for (const watched of this.#watched) {
      if (watched.until > now) continue
      this.#watched.delete(watched)
      watched.expire()
    }
  }
}
