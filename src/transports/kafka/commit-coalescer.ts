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
 * One commit is in flight at a time, and the interval's flush waits while `mayCommit` says no (a
 * rebalance under way, {@link CommitGate}): a commit refused there makes the client library join
 * the group again, which can set off the next rebalance.
 */
export class CommitCoalescer {
  readonly #intervalMs: number
  readonly #owns: (topic: string, partition: number) => boolean
  readonly #commit: (offsets: readonly FinishedOffset[]) => Promise<void>
  readonly #onError: (error: unknown) => void
  readonly #mayCommit: () => boolean
  /** The commit in flight: the next flush waits for it. */
  #flushing: Promise<void> | undefined
  /** The latest finished record of each partition, by topic and then partition (a sparse array): no key string made per record. */
  #pending = new Map<string, (FinishedOffset | undefined)[]>()
  #pendingCount = 0
  #timer: NodeJS.Timeout | undefined

  /** @param mayCommit asked before each flush on the interval (not before an explicit {@link flush}): false keeps the offsets for the next interval. */
  constructor(intervalMs: number, owns: (topic: string, partition: number) => boolean, commit: (offsets: readonly FinishedOffset[]) => Promise<void>, onError: (error: unknown) => void, mayCommit: () => boolean = () => true) {
    this.#intervalMs = intervalMs
    this.#owns = owns
    this.#commit = commit
    this.#onError = onError
    this.#mayCommit = mayCommit
  }

  /** `finished` and everything before it in its partition may be committed. */
  add(finished: FinishedOffset): void {
    this.#keep(finished)
    this.#arm()
  }

  /** How many partitions have an offset waiting to be committed. */
  get pending(): number {
    return this.#pendingCount
  }

  /** Keeps `finished` as its partition's offset to commit, in place of an older one. */
  #keep(finished: FinishedOffset): void {
    let partitions = this.#pending.get(finished.topic)
    if (partitions === undefined) {
      partitions = []
      this.#pending.set(finished.topic, partitions)
    }
    if (partitions[finished.partition] === undefined) this.#pendingCount++
    partitions[finished.partition] = finished
  }

  /** Commits what is pending now, after the commit in flight; resolves once the broker answered (failures go to onError). */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing
    const flushing = this.#flushNow()
    this.#flushing = flushing
    try {
      await flushing
    } finally {
      if (this.#flushing === flushing) this.#flushing = undefined
    }
  }

  async #flushNow(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = this.#pending
    this.#pending = new Map()
    this.#pendingCount = 0
    // A partition taken away by a rebalance is the new owner's to commit.
    const offsets: FinishedOffset[] = []
    for (const partitions of batch.values()) for (const finished of partitions) if (finished !== undefined && this.#owns(finished.topic, finished.partition)) offsets.push(finished)
    if (offsets.length === 0) return
    try {
      await this.#commit(offsets)
    } catch (error) {
      // Kept for the next flush, unless a newer offset of the partition came in meanwhile.
      for (const finished of offsets) if (this.#pending.get(finished.topic)?.[finished.partition] === undefined && this.#owns(finished.topic, finished.partition)) this.#keep(finished)
      if (this.#pendingCount > 0) this.#arm()
      this.#onError(error)
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (this.#mayCommit()) void this.flush()
      else this.#arm()
    }, this.#intervalMs)
    // Shutdown flushes explicitly; a pending commit must not keep a process alive.
    this.#timer.unref()
  }
}
