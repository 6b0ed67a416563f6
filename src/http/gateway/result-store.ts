import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { storedError, type StoredResponse } from './stored-response.ts'
import { asError } from '../../core/as-error.ts'

/**
 * Bounds of the in-memory store of a gateway's results (async requests' results and idempotent
 * requests' answers). It lives in one process: a poll or a retry must reach the gateway
 * instance that took the request.
 *
 * @example
 * ```ts
 * createGateway({ client, expose, results: { ttlMs: 60_000, maxEntries: 500 } })
 * ```
 */
export interface ResultLimits {
  /** How long a finished result is kept, in ms from when it finished. Default 300 000 (5 minutes). */
  readonly ttlMs?: number
  /** Results kept at once, in flight or finished. Default 1 000. */
  readonly maxEntries?: number
  /** The largest answer body kept, in bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Bytes of finished bodies kept in all; the oldest finished results make room. Default 64 MiB. */
  readonly maxBytes?: number
}

/**
 * One result: in flight until `done` settles, then finished and kept until it expires.
 *
 * @example
 * ```ts
 * const entry: StoredEntry | undefined = store.get('result:Xq3…')
 * const answer = entry?.result ?? (await entry?.done)
 * ```
 */
export interface StoredEntry {
  /** A digest of the request, to tell a retry from another request that reuses an idempotency key. */
  readonly fingerprint: string | undefined
  /** Settles with the final answer; never rejects. */
  readonly done: Promise<StoredResponse>
  /** The final answer, once there is one. */
  result: StoredResponse | undefined
  expiresAt: number
}

const defaults = { ttlMs: 300_000, maxEntries: 1_000, maxBodyBytes: 1_048_576, maxBytes: 64 * 1_048_576 }

/**
 * A bounded in-memory map of results with a time to live. In-flight results are never dropped —
 * a retry must find them, or the request would run twice — so a store full of them refuses new
 * ones (`503 KIPC_UNAVAILABLE`); finished ones expire after `ttlMs` and, when room is needed,
 * go oldest first. Expiry is checked when the store is used: it keeps no timer running.
 *
 * @example
 * ```ts
 * const store = new ResultStore({ ttlMs: 60_000 })
 * const entry = store.start('result:abc', undefined, () => work())
 * const later = store.get('result:abc')
 * ```
 */
export class ResultStore {
  readonly limits: Required<ResultLimits>
  readonly #entries = new Map<string, StoredEntry>()
  readonly #now: () => number
  #bytes = 0

  constructor(limits: ResultLimits = {}, now: () => number = Date.now) {
    this.limits = checkLimits(limits)
    this.#now = now
  }

  /** Entries kept now, in flight or finished. */
  get size(): number {
    return this.#entries.size
  }

  /** The entry under `key`, unless it expired. */
  get(key: string): StoredEntry | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.result !== undefined && entry.expiresAt <= this.#now()) {
      this.delete(key)
      return undefined
    }
    return entry
  }

  /**
   * Makes room for `count` new entries, or fails with `503 KIPC_UNAVAILABLE` when in-flight
   * results fill the store. Call it before anything is sent for a request, so that a request
   * whose result could not be kept is never sent.
   */
  reserve(count: number): void {
    const now = this.#now()
    for (const [key, entry] of this.#entries) {
      if (entry.result !== undefined && entry.expiresAt <= now) this.delete(key)
    }
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size + count <= this.limits.maxEntries) return
      if (entry.result !== undefined) this.delete(key)
    }
    if (this.#entries.size + count > this.limits.maxEntries) {
      throw new KafkaIpcError('KIPC_UNAVAILABLE', `The gateway keeps at most ${String(this.limits.maxEntries)} results and all of them are still in flight; try again shortly.`)
    }
  }

  /**
   * Makes room (or fails, see {@link reserve}), then starts `work` and keeps its result under
   * `key`. `work` should not fail; if it does, the failure is kept as its error answer.
   */
  start(key: string, fingerprint: string | undefined, work: () => Promise<StoredResponse>): StoredEntry {
    this.reserve(1)
    let running: Promise<StoredResponse>
    try {
      running = work()
    } catch (error) {
      running = Promise.reject(asError(error))
    }
    const done = running.catch((error: unknown) => storedError(error, false))
    const entry: StoredEntry = { fingerprint, done, result: undefined, expiresAt: Number.POSITIVE_INFINITY }
    this.#entries.set(key, entry)
    void done.then((result) => {
      if (this.#entries.get(key) !== entry) return
      entry.result = result
      entry.expiresAt = this.#now() + this.limits.ttlMs
      this.#bytes += result.body?.byteLength ?? 0
      this.#trimBytes(key)
    })
    return entry
  }

  /** Forgets `key` — only if it still holds `only`, when given. */
  delete(key: string, only?: StoredEntry): void {
    const entry = this.#entries.get(key)
    if (entry === undefined || (only !== undefined && entry !== only)) return
    this.#entries.delete(key)
    this.#bytes -= entry.result?.body?.byteLength ?? 0
  }

  /** Drops the oldest finished results (but not `keep`, just finished) until the bytes fit. */
  #trimBytes(keep: string): void {
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.limits.maxBytes) return
      if (key !== keep && entry.result !== undefined) this.delete(key)
    }
  }
}

function checkLimits(limits: ResultLimits): Required<ResultLimits> {
  const checked = { ...defaults, ...limits }
  for (const [name, value] of Object.entries(checked)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `results.${name} must be a positive whole number, got ${JSON.stringify(value)}.`)
  }
  if (checked.maxBodyBytes > checked.maxBytes) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `results.maxBodyBytes (${String(checked.maxBodyBytes)}) must not exceed results.maxBytes (${String(checked.maxBytes)}).`)
  return checked
}
