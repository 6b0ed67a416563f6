import type { Delivery } from './records.ts'

/**
 * Gathers offset commits and sends them at most once per interval: the latest finished record of
 * each partition wins. Committing every record as it finishes costs an OffsetCommit request per
 * record when traffic is light — a second broker round trip for every request handled. Delaying
 * by an interval only widens what a crash replays (at-least-once either way); close() flushes.
 */
export class CommitCoalescer {
  readonly #intervalMs: number
  readonly #owns: (topic: string, partition: number) => boolean
  readonly #onError: (error: unknown) => void
  readonly #pending = new Map<string, Delivery>()
  #timer: NodeJS.Timeout | undefined

  constructor(intervalMs: number, owns: (topic: string, partition: number) => boolean, onError: (error: unknown) => void) {
    this.#intervalMs = intervalMs
    this.#owns = owns
    this.#onError = onError
  }

  /** `delivery` and everything before it in its partition may be committed. */
  add(delivery: Delivery): void {
    this.#pending.set(`${delivery.topic}\0${delivery.partition}`, delivery)
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), this.#intervalMs)
      // Shutdown flushes explicitly; a pending commit must not keep a process alive.
      this.#timer.unref()
    }
  }

  /** Commits what is pending now; resolves once the broker answered (failures go to onError). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const deliveries = [...this.#pending.values()]
    this.#pending.clear()
    await Promise.all(
      deliveries
        // A partition taken away by a rebalance is the new owner's to commit.
        .filter((delivery) => this.#owns(delivery.topic, delivery.partition))
        .map(async (delivery) => {
          // A commit can still fail if a rebalance is under way: the new owner re-reads from the
          // last committed offset (at-least-once), so there is nothing to do but report it.
          await Promise.resolve(delivery.raw.commit()).catch(this.#onError)
        }),
    )
  }
}
