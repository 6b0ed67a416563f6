import { BusyTicker } from '../busy-ticker.ts'
import { LinkedList } from '../linked-list.ts'
import { claimLeaseMs, type HeldClaim } from './held-claim.ts'

/** A running claim is renewed this often (ms): three renewals fit in a lease, so one slow round trip does not lose it. */
const renewEveryMs = claimLeaseMs / 3

/**
 * The claims a service holds in its deduplication store, renewed together every
 * {@link renewEveryMs} by one timer that runs while any is held — not a timer per run, which a
 * busy service would set and clear thousands of times a second. The claims are linked through
 * themselves: holding and dropping one, for every request, allocates nothing, where a Set's table
 * would grow and shrink with the load. Each service has its own (in its pipeline's dependencies),
 * so nothing outlives the service that held the claims.
 *
 * @example
 * ```ts
 * const deps: ServicePipelineDeps = { …, claimRenewals: new ClaimRenewals() }
 * new HeldClaim(deps, store, key, message, envelope) // renewed until it settles
 * ```
 */
export class ClaimRenewals {
  /** The claims held, oldest first: renewed in the order they were taken. */
  readonly #held = new LinkedList<HeldClaim>()
  // A renewal never keeps the process alive: the runs it belongs to do.
  readonly #ticker = new BusyTicker(renewEveryMs, () => {
    for (let held = this.#held.first; held !== undefined; held = held.nextLinked) held.renew()
    return this.#held.first !== undefined
  })

  hold(claim: HeldClaim): void {
    this.#held.append(claim)
    this.#ticker.start()
  }

  drop(claim: HeldClaim): void {
    this.#held.unlink(claim)
  }
}
