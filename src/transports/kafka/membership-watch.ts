/**
 * Watches that a group consumer stays a member of its group: every `everyMs` it asks `isMember()`,
 * and once the answer has been no for `graceMs` without a break it calls `onLost()` — once per
 * such spell. The client library stops heartbeating, without telling anyone, on some of its
 * ways out of a failed rejoin; a consumer left so goes on fetching the partitions it last held
 * while the group expires it and gives nobody the partitions of a member that died meanwhile. The
 * grace outlasts a rebalance, during which a member is briefly no member at all.
 *
 * @example
 * ```ts
 * const watch = new MembershipWatch(() => consumer.isActive(), () => 13_000, () => replaceConsumer())
 * watch.start()
 * // …
 * watch.stop()
 * ```
 */
export class MembershipWatch {
  readonly #isMember: () => boolean
  /** Read at each look: the grace follows a session timeout that may change (a broker's minimum). */
  readonly #graceMs: () => number
  readonly #onLost: () => void
  readonly #everyMs: number
  #timer: NodeJS.Timeout | undefined
  /** Since when the answer has been no, or undefined while it is yes. */
  #outsideSince: number | undefined
  #told = false

  constructor(isMember: () => boolean, graceMs: () => number, onLost: () => void, everyMs = 1_000) {
    this.#isMember = isMember
    this.#graceMs = graceMs
    this.#onLost = onLost
    this.#everyMs = everyMs
  }

  start(): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => {
      this.check(Date.now())
    }, this.#everyMs)
    // A watch never keeps a process alive: the consumer's own connections do, while they last.
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** One look, at time `now` (ms): what the timer does every `everyMs`. */
  check(now: number): void {
    if (this.#isMember()) {
      this.#outsideSince = undefined
      this.#told = false
      return
    }
    this.#outsideSince ??= now
    if (this.#told || now - this.#outsideSince < this.#graceMs()) return
    this.#told = true
    this.#onLost()
  }
}
