import { setTimeout as sleep } from 'node:timers/promises'
import { BusyTicker } from '../busy-ticker.ts'
import type { DeduplicationClaim, DeduplicationStore, StoredAnswer } from '../deduplication-store.ts'
import type { Envelope } from '../protocol/envelope.ts'
import type { IncomingMessage } from '../transport.ts'
import { reportFailure, type ServicePipelineDeps } from './service-pipeline.ts'

/**
 * How long a claim lasts unless renewed (ms): a run whose instance died frees its key this long
 * after its last renewal at most — a partition's next owner gets its records no sooner than the
 * dead member's session ends anyway.
 */
export const claimLeaseMs = 3_000
/** A running claim is renewed this often (ms): three renewals fit in a lease, so one slow round trip does not lose it. */
const renewEveryMs = claimLeaseMs / 3
/** While another run holds a key, its claim is asked again this often (ms). */
const pollMs = 200

/**
 * The key a run is remembered by: the consumer group that ran it (a service's requests and its
 * events are apart, and two services each run an event they both subscribe to), the caller, and
 * the message id. The caller is part of it so that one caller's id never answers another's.
 *
 * @example
 * ```ts
 * runKey('kipc.billing', 'checkout', envelope.id) // 'kipc.billing|checkout|Xq3v…'
 * ```
 */
export function runKey(group: string, caller: string | undefined, id: string): string {
  return `${group}|${caller ?? ''}|${id}`
}

/**
 * Claims `key`; while another run holds it, waits for that one to finish or its lease to run
 * out — until `giveUpAt` at the latest, or `signal` aborts — and then says what it found. A
 * store that fails throws its `KIPC_UNAVAILABLE` (or rejects with it). A store that answers at
 * once is answered at once, unless the key is held.
 *
 * @example
 * ```ts
 * const claim = await claimRun(store, key, deadline, signal)
 * if (claim.state === 'claimed') await run()
 * ```
 */
export function claimRun(store: DeduplicationStore, key: string, giveUpAt: number, signal: AbortSignal): DeduplicationClaim | Promise<DeduplicationClaim> {
  const claim = store.claim(key, claimLeaseMs)
  if (claim instanceof Promise) return claim.then((found) => (found.state === 'running' ? waitForRun(store, key, giveUpAt, signal, found) : found))
  return claim.state === 'running' ? waitForRun(store, key, giveUpAt, signal, claim) : claim
}

/** Asks again for a key another run holds (`claim`), until it is not held, `giveUpAt` passes or `signal` aborts. */
async function waitForRun(store: DeduplicationStore, key: string, giveUpAt: number, signal: AbortSignal, claim: DeduplicationClaim & { state: 'running' }): Promise<DeduplicationClaim> {
  let found: DeduplicationClaim = claim
  while (found.state === 'running') {
    const now = Date.now()
    if (giveUpAt <= now || signal.aborted) return found
    // Asked again when the other run's lease ends, and meanwhile every pollMs: it may finish sooner.
    await sleep(Math.max(10, Math.min(pollMs, giveUpAt - now, found.until - now)), undefined, { signal }).catch(() => undefined)
    found = await store.claim(key, claimLeaseMs)
  }
  return found
}

/**
 * A key this instance claimed for one run: its lease is renewed while the run goes on, and
 * {@link settle} tells the store how it ended.
 *
 * @example
 * ```ts
 * const held = new HeldClaim(deps, store, key, message, envelope)
 * answers.recordReplyWith((reply) => held.settle(true, reply))
 * try { await run() } finally { await held.settle(succeeded, undefined) }
 * ```
 */
export class HeldClaim {
  readonly #deps: ServicePipelineDeps
  readonly #store: DeduplicationStore
  readonly #key: string
  readonly #message: IncomingMessage
  readonly #envelope: Pick<Envelope, 'id' | 'service'>
  readonly #renewals: ClaimRenewals
  #settled = false
  /** Neighbours among the claims its store renews ({@link ClaimRenewals}). */
  previousHeld: HeldClaim | undefined
  nextHeld: HeldClaim | undefined

  constructor(deps: ServicePipelineDeps, store: DeduplicationStore, key: string, message: IncomingMessage, envelope: Pick<Envelope, 'id' | 'service'>) {
    this.#deps = deps
    this.#store = store
    this.#key = key
    this.#message = message
    this.#envelope = envelope
    this.#renewals = renewalsOf(store)
    this.#renewals.hold(this)
  }

  /** Extends the lease by another {@link claimLeaseMs}; a store that fails is reported. */
  renew(): void {
    try {
      const renewed = this.#store.renew(this.#key, claimLeaseMs)
      if (renewed instanceof Promise) {
        renewed.catch((error: unknown) => {
          this.#report(error)
        })
      }
    } catch (error) {
      this.#report(error)
    }
  }

  /**
   * The run ended: finished (with the reply to give duplicates, when there is one) or not — a
   * failure, a timeout, a stop — so that the next delivery runs it again. A store that fails here
   * is reported; the run's own outcome stands. Only the first call counts: a reply recorded before
   * it was sent settles the run, and what happens to its send later changes nothing. Settled at
   * once when the store answers at once.
   */
  settle(finished: boolean, answer: StoredAnswer | undefined): void | Promise<void> {
    if (this.#settled) return
    this.#settled = true
    this.#renewals.drop(this)
    try {
      const told = finished ? this.#store.finish(this.#key, answer) : this.#store.release(this.#key)
      if (told instanceof Promise) {
        return told.catch((error: unknown) => {
          this.#report(error)
        })
      }
    } catch (error) {
      this.#report(error)
    }
  }

  #report(error: unknown): void {
    reportFailure(this.#deps, 'transport', 'deduplicate', error, this.#message, this.#envelope)
  }
}

/**
 * The claims held in one store, renewed together every {@link renewEveryMs} by one timer that
 * runs while any is held — not a timer per run, which a busy service would set and clear
 * thousands of times a second. The claims are linked through themselves: holding and dropping
 * one, for every request, allocates nothing, where a Set's table would grow and shrink with the
 * load.
 */
class ClaimRenewals {
  /** The oldest claim held and the newest: renewed in the order they were taken. */
  #first: HeldClaim | undefined
  #last: HeldClaim | undefined
  // A renewal never keeps the process alive: the runs it belongs to do.
  readonly #ticker = new BusyTicker(renewEveryMs, () => {
    for (let held = this.#first; held !== undefined; held = held.nextHeld) held.renew()
    return this.#first !== undefined
  })

  hold(claim: HeldClaim): void {
    claim.previousHeld = this.#last
    if (this.#last === undefined) this.#first = claim
    else this.#last.nextHeld = claim
    this.#last = claim
    this.#ticker.start()
  }

  drop(claim: HeldClaim): void {
    const { previousHeld, nextHeld } = claim
    if (previousHeld === undefined) this.#first = nextHeld
    else previousHeld.nextHeld = nextHeld
    if (nextHeld === undefined) this.#last = previousHeld
    else nextHeld.previousHeld = previousHeld
    claim.previousHeld = undefined
    claim.nextHeld = undefined
  }
}

/** One {@link ClaimRenewals} per store, shared by the services that share it. */
const renewals = new WeakMap<DeduplicationStore, ClaimRenewals>()

/**
 * The store asked last and its renewals: a process has one store, so a claim rarely looks in the
 * WeakMap. Held weakly, like the WeakMap's keys: a closed service's store — its memory store's
 * arrays and reply ring are megabytes — must not outlive it for being the last one asked.
 */
let lastStore: WeakRef<DeduplicationStore> | undefined
let lastRenewals: ClaimRenewals | undefined

function renewalsOf(store: DeduplicationStore): ClaimRenewals {
  if (lastRenewals !== undefined && lastStore?.deref() === store) return lastRenewals
  let found = renewals.get(store)
  if (found === undefined) {
    found = new ClaimRenewals()
    renewals.set(store, found)
  }
  lastStore = new WeakRef(store)
  lastRenewals = found
  return found
}
