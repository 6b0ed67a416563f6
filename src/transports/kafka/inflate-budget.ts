import { defaultPolicy } from '../../core/policy.ts'

/**
 * After a fetch has inflated `inflateLimit()` bytes, each further batch of it may inflate to at most
 * this many times its compressed size: far above what record batches of JSON reach (zstd: about
 * 10–20:1), far below a bomb's (gzip about 1,000:1, zstd up to 30,000:1).
 */
export const maxInflateRatio = 64

/** Limits asked for by open subscriptions; the largest is in force. */
const held = new Map<symbol, number>()

/** Bytes inflated since the current turn of the event loop began (see {@link spendInflated}). */
let inflatedThisTurn = 0
let resetQueued = false

/**
 * The most bytes one compressed record batch may inflate to, process-wide: the largest limit an
 * open subscription holds ({@link holdInflateLimit}), else the policy's default `maxBufferedBytes`.
 *
 * @example
 * ```ts
 * inflateLimit() // 8388608
 * ```
 */
export function inflateLimit(): number {
  let limit = 0
  for (const bytes of held.values()) limit = Math.max(limit, bytes)
  return limit === 0 ? defaultPolicy.maxBufferedBytes : limit
}

/**
 * Asks that batches inflate to at most `bytes` while the returned release has not been called.
 * One table of decompressors serves every client in the process, so the largest limit wins.
 *
 * @example
 * ```ts
 * const release = holdInflateLimit(policy.maxBufferedBytes)
 * // … on close: release()
 * ```
 */
export function holdInflateLimit(bytes: number): () => void {
  const key = Symbol('inflate limit')
  held.set(key, bytes)
  return () => {
    held.delete(key)
  }
}

/** How far a batch may inflate now, and which rule sets it. */
export interface InflateAllowance {
  readonly bytes: number
  /** `limit`: the per-batch limit; `ratio`: {@link maxInflateRatio}, once the fetch inflated a limit's worth. */
  readonly rule: 'limit' | 'ratio'
  readonly limit: number
}

/**
 * How far a batch of `compressedBytes` may inflate now. A limit bounds each batch; it does not
 * bound a fetch of many small batches — thousands of 300-byte bombs of 8 MiB each fit one fetch.
 * The client parses a fetch response in one go, inflating every batch of it before the event loop
 * turns; so once a turn has inflated a limit's worth, its further batches are held to
 * {@link maxInflateRatio}: a fetch inflates at most about twice the limit plus 64 times its size.
 *
 * @example
 * ```ts
 * const allowed = inflateAllowance(data.length)
 * const records = inflateWithin(codec, data, allowed.bytes, decode)
 * spendInflated(records.length)
 * ```
 */
export function inflateAllowance(compressedBytes: number): InflateAllowance {
  const limit = inflateLimit()
  if (inflatedThisTurn < limit) return { bytes: limit, rule: 'limit', limit }
  const byRatio = compressedBytes * maxInflateRatio
  return byRatio < limit ? { bytes: byRatio, rule: 'ratio', limit } : { bytes: limit, rule: 'limit', limit }
}

/**
 * Counts `bytes` inflated in this turn of the event loop; the count starts again at the next turn
 * (a microtask runs once the fetch response being parsed is done).
 *
 * @example
 * ```ts
 * spendInflated(records.length)
 * ```
 */
export function spendInflated(bytes: number): void {
  inflatedThisTurn += bytes
  if (resetQueued) return
  resetQueued = true
  queueMicrotask(() => {
    inflatedThisTurn = 0
    resetQueued = false
  })
}
