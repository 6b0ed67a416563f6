import type { DeduplicationClaim, DeduplicationStore, StoredAnswer } from './deduplication-store.ts'
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
  /** Keys remembered at once; the oldest go first. Default 100 000. */
  readonly maxEntries?: number
  /** The largest reply kept for duplicates, in bytes (headers and body); a larger one is remembered without it. Default 65 536. */
  readonly maxAnswerBytes?: number
  /** Bytes of replies kept in all; the oldest entries make room. Default 32 MiB. */
  readonly maxBytes?: number
}

interface Entry {
  readonly state: 'running' | 'done'
  readonly expiresAt: number
  readonly answer: StoredAnswer | undefined
  readonly bytes: number
}

const defaults: Required<MemoryDeduplicationOptions> = { windowMs: 600_000, maxEntries: 100_000, maxAnswerBytes: 65_536, maxBytes: 32 * 1_048_576 }

/**
 * A {@link DeduplicationStore} in this process's memory, bounded in keys and bytes. It sees only
 * the records this instance consumes: a redelivery to another instance after a crash or a
 * rebalance runs again. For that, use a store every instance shares ({@link postgresDeduplicationStore}).
 *
 * @example
 * ```ts
 * import { createService, memoryDeduplicationStore } from 'kafka-ipc'
 *
 * const app = createService({ name: 'billing', deduplication: memoryDeduplicationStore() })
 * ```
 */
export function memoryDeduplicationStore(options: MemoryDeduplicationOptions = {}, now: () => number = Date.now): DeduplicationStore {
  const limits = checkOptions(options)
  // Insertion order is age order: a finished entry is moved to the end, so the oldest go first.
  const entries = new Map<string, Entry>()
  let bytes = 0

  const remove = (key: string): void => {
    const entry = entries.get(key)
    if (entry === undefined) return
    bytes -= entry.bytes
    entries.delete(key)
  }
  const put = (key: string, entry: Entry): void => {
    remove(key)
    entries.set(key, entry)
    bytes += entry.bytes
    for (const oldest of entries.keys()) {
      if (entries.size <= limits.maxEntries && bytes <= limits.maxBytes) break
      remove(oldest)
    }
  }

  return {
    claim(key, leaseMs) {
      const at = now()
      const entry = entries.get(key)
      if (entry !== undefined && entry.expiresAt > at) {
        const claim: DeduplicationClaim = entry.state === 'done' ? { state: 'done', answer: entry.answer } : { state: 'running', until: entry.expiresAt }
        return Promise.resolve(claim)
      }
      put(key, { state: 'running', expiresAt: at + leaseMs, answer: undefined, bytes: 0 })
      return Promise.resolve({ state: 'claimed' })
    },
    renew(key, leaseMs) {
      if (entries.get(key)?.state === 'running') entries.set(key, { state: 'running', expiresAt: now() + leaseMs, answer: undefined, bytes: 0 })
      return Promise.resolve()
    },
    finish(key, answer) {
      const size = answer === undefined ? 0 : answerBytes(answer)
      const kept = size <= limits.maxAnswerBytes ? answer : undefined
      put(key, { state: 'done', expiresAt: now() + limits.windowMs, answer: kept, bytes: kept === undefined ? 0 : size })
      return Promise.resolve()
    },
    release(key) {
      if (entries.get(key)?.state === 'running') remove(key)
      return Promise.resolve()
    },
  }
}

/** The bytes an answer holds: its body and its header text. */
function answerBytes(answer: StoredAnswer): number {
  let size = answer.value.byteLength
  for (const [name, value] of answer.headers) size += name.length + value.length
  return size
}

function checkOptions(options: MemoryDeduplicationOptions): Required<MemoryDeduplicationOptions> {
  const limits = { ...defaults, ...options }
  for (const name of ['windowMs', 'maxEntries', 'maxAnswerBytes', 'maxBytes'] as const) {
    const value = limits[name]
    if (!Number.isSafeInteger(value) || value < 1) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `memoryDeduplicationStore: ${name} must be a positive integer, got ${JSON.stringify(value)}.`)
  }
  return limits
}
