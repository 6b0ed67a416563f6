/**
 * Where a service remembers which messages it already ran, so that a record delivered again — a
 * redelivery after a crash before the commit, a client's retry with the same message id — is not
 * run twice, and a duplicate request gets the first reply again (docs/reliability.md#deduplication).
 *
 * Keys are chosen by the service (its consumer group, the caller and the message id); a store only
 * keeps them. A claim is a lease: a run that crashed before it finished frees its key when the
 * lease runs out, and the next delivery runs it.
 *
 * Each method may answer at once or with a promise: a store in memory answers at once, and the
 * service then spends no promise or event-loop turn on it.
 *
 * @example
 * ```ts
 * import { createService, memoryDeduplicationStore } from 'kafka-ipc'
 *
 * const app = createService({ name: 'billing', deduplication: memoryDeduplicationStore({ windowMs: 600_000 }) })
 * ```
 */
export interface DeduplicationStore {
  /**
   * Claims `key` for one run lasting at most `leaseMs`: `claimed` when no run of it is known in
   * the window (or the last claim's lease ran out), else what is known of the other run.
   */
  claim(key: string, leaseMs: number): DeduplicationClaim | Promise<DeduplicationClaim>
  /**
   * The run holding `key` is still going: its lease is extended to `leaseMs` from now. A service
   * renews its claims while their handlers run, so that a lease can be short — a run whose
   * instance died frees its key within one lease — and a long handler still keeps its key.
   */
  renew(key: string, leaseMs: number): void | Promise<void>
  /**
   * The run of `key` finished: it is remembered for the store's window, with `answer` — the reply
   * a duplicate request gets again — when there is one to keep.
   */
  finish(key: string, answer: StoredAnswer | undefined): void | Promise<void>
  /** The run of `key` failed or was given up: the next delivery may run it again. */
  release(key: string): void | Promise<void>
}

/**
 * What a claim found: `claimed` (run it), `running` (another run holds it until `until`, epoch
 * ms), or `done` (it ran; `answer` is its reply when the store kept one).
 *
 * @example
 * ```ts
 * const claim = await store.claim('kipc.billing|checkout|Xq3v…', 5_000)
 * if (claim.state === 'done') console.log('already ran', claim.answer !== undefined ? 'and its reply is kept' : '')
 * ```
 */
export type DeduplicationClaim =
  | { readonly state: 'claimed' }
  | { readonly state: 'running'; readonly until: number }
  | { readonly state: 'done'; readonly answer?: StoredAnswer | undefined }

/**
 * A reply as it went on the wire — its headers and bytes — so that a duplicate request gets it
 * again, byte for byte, at its own inbox.
 *
 * @example
 * ```ts
 * const answer: StoredAnswer = { headers: new Map([['kipc-v', '1'], ['kipc-kind', 'reply']]), value: new TextEncoder().encode('{"ok":true}') }
 * ```
 */
export interface StoredAnswer {
  readonly headers: ReadonlyMap<string, string>
  readonly value: Uint8Array
}
