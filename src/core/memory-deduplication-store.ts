import { AnswerRing } from './answer-ring.ts'
import type { DeduplicationClaim, DeduplicationStore } from './deduplication-store.ts'
import { FingerprintRing } from './fingerprint-ring.ts'
import { IdTable } from './id-table.ts'
import { KafkaIpcError } from './kafka-ipc-error.ts'

/**
 * Bounds of {@link memoryDeduplicationStore}.
 *
 * @example
 * ```ts
 * memoryDeduplicationStore({ windowMs: 600_000, maxEntries: 50_000, maxBytes: 16 * 1_048_576 })
 * ```
 */
export interface MemoryDeduplicationOptions {
  /** How long a finished run is remembered, in ms. Default 600 000 (10 minutes). */
  readonly windowMs?: number
  /** Finished runs remembered at once; the oldest go first. Default 100 000. */
  readonly maxEntries?: number
  /** The largest reply kept for duplicates, in bytes (headers and body); a larger one is remembered without it. Default 65 536. */
  readonly maxAnswerBytes?: number
  /** Bytes of replies kept in all; a new reply overwrites the oldest, whose runs stay remembered without them. Default 16 MiB. */
  readonly maxBytes?: number
}

const defaults: Required<MemoryDeduplicationOptions> = { windowMs: 600_000, maxEntries: 100_000, maxAnswerBytes: 65_536, maxBytes: 16 * 1_048_576 }

/**
 * A {@link DeduplicationStore} in this process's memory, bounded in entries and bytes — every
 * service's store unless it is given another. It sees only the records this instance consumes: a
 * redelivery to another instance after a crash or a rebalance runs again. For that, use a store
 * every instance shares ({@link postgresDeduplicationStore}).
 *
 * Finished runs are kept as 64-bit fingerprints of their keys in typed arrays and their replies in
 * one ring of bytes, so that remembering the last 100,000 runs costs a busy service no
 * garbage-collector work (docs/decisions/0010). Two keys share a fingerprint with a probability of
 * about 2⁻⁶⁴ per pair.
 *
 * @example
 * ```ts
 * import { createService, memoryDeduplicationStore } from 'kafka-ipc'
 *
 * const app = createService({ name: 'billing', deduplication: memoryDeduplicationStore({ windowMs: 3_600_000 }) })
 * ```
 */
export function memoryDeduplicationStore(options: MemoryDeduplicationOptions = {}, now: () => number = Date.now): DeduplicationStore {
  const limits = checkOptions(options)
  // Runs in progress are few (those in flight) and short-lived. The newest claim waits in one
  // slot, the others in a table of their lease ends: a run that ends before the next claim — every
  // synchronous event handler's — never touches the table, whose every lookup and change would
  // hash a fresh key string (docs/performance.md). An IdTable, not a Map: asynchronous handlers
  // add and delete a run each, and a Map's rehashes would keep the keys alive (id-table.ts).
  let newest: string | undefined
  let newestUntil = 0
  const running = new IdTable<number>()
  // Finished runs: by ring position, when each is forgotten and where its reply is (-1: none).
  const finished = new FingerprintRing(limits.maxEntries)
  const forgetAt = new Float64Array(limits.maxEntries)
  const answerAt = new Float64Array(limits.maxEntries)
  const answerLength = new Uint32Array(limits.maxEntries)
  const answers = new AnswerRing(limits.maxBytes)

  /** Leases that ran out and were never settled (a caller of the store that crashed) are forgotten once too many. */
  const pruneRunning = (at: number): void => {
    if (running.size <= limits.maxEntries) return
    const ended: string[] = []
    running.forEach((until, key) => {
      if (until <= at) ended.push(key)
    })
    for (const key of ended) running.delete(key)
  }

  /** The lease end of a run of `key` in progress, or undefined. */
  const leaseOf = (key: string): number | undefined => {
    if (newest === key) return newestUntil
    return running.size === 0 ? undefined : running.get(key)
  }

  /** Forgets a run of `key` in progress, wherever it waits. */
  const stopRunning = (key: string): void => {
    if (newest === key) newest = undefined
    else if (running.size > 0) running.delete(key)
  }

  return {
    claim(key, leaseMs): DeduplicationClaim {
      const at = now()
      const position = finished.find(key)
      if (position !== -1 && (forgetAt[position] ?? 0) > at) {
        const stored = answerAt[position] ?? -1
        return { state: 'done', answer: stored < 0 ? undefined : answers.read(stored, answerLength[position] ?? 0) }
      }
      const until = leaseOf(key)
      if (until !== undefined && until > at) return { state: 'running', until }
      // A lease that ran out is claimed afresh: where it waited, it is replaced.
      if (until !== undefined) stopRunning(key)
      if (newest !== undefined) {
        running.set(newest, newestUntil)
        pruneRunning(at)
      }
      newest = key
      newestUntil = at + leaseMs
      return claimed
    },
    renew(key, leaseMs) {
      if (newest === key) newestUntil = now() + leaseMs
      else if (running.has(key)) running.set(key, now() + leaseMs)
    },
    finish(key, answer) {
      stopRunning(key)
      let position = finished.find(key)
      if (position === -1) position = finished.add(key)
      forgetAt[position] = now() + limits.windowMs
      const at = answer === undefined ? undefined : answers.write(answer, limits.maxAnswerBytes)
      answerAt[position] = at ?? -1
      answerLength[position] = at === undefined ? 0 : answers.lastLength
    },
    release(key) {
      stopRunning(key)
    },
  }
}

/** The answer of every successful claim: one object, not one per request. */
const claimed: DeduplicationClaim = Object.freeze({ state: 'claimed' })

function checkOptions(options: MemoryDeduplicationOptions): Required<MemoryDeduplicationOptions> {
  const limits = { ...defaults, ...options }
  for (const name of ['windowMs', 'maxEntries', 'maxAnswerBytes', 'maxBytes'] as const) {
    const value = limits[name]
    if (!Number.isSafeInteger(value) || value < 1) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `memoryDeduplicationStore: ${name} must be a positive integer, got ${JSON.stringify(value)}.`)
  }
  return limits
}
