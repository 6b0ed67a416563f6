/** The last finished record of a partition: it and everything before it may be committed. */
export interface FinishedOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
}

/**
 * Gathers offset commits and sends them at most once per interval: the latest finished record of
 * each partition wins. Committing every record as it finishes costs an OffsetCommit request per
 * record when traffic is light — a second broker round trip for every request handled. Delaying
 * by an interval only widens what a crash replays (at-least-once either way); close() flushes.
 *
 * A commit that fails (the coordinator moved, the consumer is being replaced after a failover)
 * is kept and tried again with the next flush, unless a newer offset of the partition came in.
 */
export class CommitCoalescer {
  readonly #intervalMs: number
  readonly #owns: (topic: string, partition: number) => boolean
  readonly #commit: (offsets: readonly FinishedOffset[]) => Promise<void>
  readonly #onError: (error: unknown) => void
  #pending = new Map<string, FinishedOffset>()
  #timer: NodeJS.Timeout | undefined

  constructor(intervalMs: number, owns: (topic: string, partition: number) => boolean, commit: (offsets: readonly FinishedOffset[]) => Promise<void>, onError: (error: unknown) => void) {
    this.#intervalMs = intervalMs
    this.#owns = owns
    this.#commit = commit
    this.#onError = onError
  }

  /** `finished` and everything before it in its partition may be committed. */
  add(finished: FinishedOffset): void {
    this.#pending.set(`${finished.topic}\0${finished.partition}`, finished)
    this.#arm()
  }

  /** How many partitions have an offset waiting to be committed. */
  get pending(): number {
    return this.#pending.size
  }

  /** Commits what is pending now; resolves once the broker answered (failures go to onError). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = this.#pending
    this.#pending = new Map()
    // A partition taken away by a rebalance is the new owner's to commit.
    const offsets = [...batch.values()].filter((finished) => this.#owns(finished.topic, finished.partition))
    if (offsets.length === 0) return
    try {
      await this.#commit(offsets)
    } catch (error) {
      for (const [key, finished] of batch) {
        if (!this.#pending.has(key) && this.#owns(finished.topic, finished.partition)) this.#pending.set(key, finished)
      }
      if (this.#pending.size > 0) this.#arm()
      this.#onError(error)
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => void this.flush(), this.#intervalMs)
    // Shutdown flushes explicitly; a pending commit must not keep a process alive.
    this.#timer.unref()
  }
}
