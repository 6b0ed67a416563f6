/**
 * What a caller last learned about who consumes a service's requests, so that a timeout can say
 * whether the service is stopped (its consumer group has no members) or running and slow. The
 * check runs in the background when requests are sent, at most once per `ttlMs` per group, and
 * never delays a call.
 *
 * @example
 * ```ts
 * const watch = new ConsumerWatch((group) => transport.groupMembers(group))
 * watch.note('kipc.pricing')            // on each request: refreshes in the background when stale
 * watch.known('kipc.pricing')           // at a timeout: 0, 2, … or undefined when not yet known
 * ```
 */
export class ConsumerWatch {
  readonly #count: (group: string) => Promise<number | undefined>
  readonly #ttlMs: number
  readonly #groups = new Map<string, { checkedAt: number; members: number | undefined }>()

  constructor(count: (group: string) => Promise<number | undefined>, ttlMs = 5_000) {
    this.#count = count
    this.#ttlMs = ttlMs
  }

  /** Starts a background check of `group` unless one ran within the last `ttlMs`. */
  note(group: string): void {
    const now = Date.now()
    const entry = this.#groups.get(group)
    if (entry !== undefined && now - entry.checkedAt < this.#ttlMs) return
    const next = { checkedAt: now, members: entry?.members }
    this.#groups.set(group, next)
    this.#count(group).then(
      (members) => {
        next.members = members
      },
      () => undefined,
    )
  }

  /** The member count last learned for `group`, if any. */
  known(group: string): number | undefined {
    return this.#groups.get(group)?.members
  }
}
