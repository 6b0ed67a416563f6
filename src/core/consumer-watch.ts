/**
 * What a caller last learned about who consumes a service's requests, so that a timeout can say
 * whether the service is stopped (its consumer group has no members) or running and slow. The
 * check runs in the background when requests are sent, at most once per `ttlMs` per service, and
 * never delays a call. Keyed by service name, so a call costs a map lookup and no string building.
 *
 * @example
 * ```ts
 * const watch = new ConsumerWatch((service) => transport.groupMembers(topicNames.group(policy, service)))
 * watch.note('pricing')            // on each request: refreshes in the background when stale
 * watch.known('pricing')           // at a timeout: 0, 2, … or undefined when not yet known
 * ```
 */
export class ConsumerWatch {
  readonly #count: (service: string) => Promise<number | undefined>
  readonly #ttlMs: number
  readonly #services = new Map<string, { checkedAt: number; members: number | undefined }>()

  /** @param count how many instances of a service consume its requests now; undefined when unknown. */
  constructor(count: (service: string) => Promise<number | undefined>, ttlMs = 5_000) {
    this.#count = count
    this.#ttlMs = ttlMs
  }

  /** Starts a background check of `service` unless one ran within the last `ttlMs`. */
  note(service: string): void {
    const now = Date.now()
    const entry = this.#services.get(service)
    if (entry !== undefined && now - entry.checkedAt < this.#ttlMs) return
    const next = { checkedAt: now, members: entry?.members }
    this.#services.set(service, next)
    this.#count(service).then(
      (members) => {
        next.members = members
      },
      () => undefined,
    )
  }

  /** The member count last learned for `service`, if any. */
  known(service: string): number | undefined {
    return this.#services.get(service)?.members
  }
}
