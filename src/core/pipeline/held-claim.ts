import { setTimeout as sleep } from 'node:timers/promises'
import type { DeduplicationClaim, DeduplicationStore, StoredAnswer } from '../deduplication-store.ts'
import type { Envelope } from '../protocol/envelope.ts'
import type { IncomingMessage } from '../transport.ts'
import type { ClaimRenewals } from './claim-renewals.ts'
import { reportFailure, type ServicePipelineDeps } from './service-pipeline.ts'

/**
 * How long a claim lasts unless renewed (ms): a run whose instance died frees its key this long
 * after its last renewal at most — a partition's next owner gets its records no sooner than the
 * dead member's session ends anyway.
 */
export const claimLeaseMs = 3_000
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
  /** Neighbours among the claims its service renews ({@link ClaimRenewals}). */
  previousLinked: HeldClaim | undefined
  nextLinked: HeldClaim | undefined

  constructor(deps: ServicePipelineDeps, store: DeduplicationStore, key: string, message: IncomingMessage, envelope: Pick<Envelope, 'id' | 'service'>) {
    this.#deps = deps
    this.#store = store
    this.#key = key
    this.#message = message
    this.#envelope = envelope
    this.#renewals = deps.claimRenewals
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
