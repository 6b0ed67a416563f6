import { keepsItsPlace, mix } from './open-addressing.ts'

/** A per-process seed for the hash, so that which ids share a probe run is not the same in every process. */
const seed = Math.trunc(Math.random() * 0x1_0000_0000) | 0

/** The fewest slots a table keeps; it grows past half full. */
const smallest = 64

/**
 * A table shrinks only from this many slots on, once under a thirty-second full. Calls come and go
 * in bursts — 256 sent, 256 answered by one fetch — and a table that followed each burst down and
 * up again would make new arrays several times per burst; below this it keeps what it grew to.
 */
const shrinkableFrom = 8_192

/**
 * Values by string id, for what a busy process adds and deletes for every message — the calls
 * waiting for their answers, the handlers running now — where a `Map` would do the same job.
 *
 * Why not a `Map`: each time V8 rehashes a `Map` (as adds and deletes churn it, every few hundred
 * changes) it leaves the old table pointing to the new one, and the old table still holds the
 * entries it had. Once one of those tables has reached the old generation — any pause in the load
 * puts the table in use there — every table after it, and every value each one held, is kept
 * alive through young-generation collections by the one before, and promoted, until a full
 * collection: at concurrency 256 a caller's `Map` of waiting calls promoted about 1 KB per call
 * (each finished call, its promise and its answer), and the collections cost about 9% of the CPU
 * per call (docs/performance.md, decision 0016). Here an entry that is
 * deleted leaves no reference behind: open addressing with linear probing over plain arrays,
 * backward-shift deletion (no tombstones), and new arrays only when the table doubles or, once
 * large and nearly empty, halves.
 *
 * Ids are hashed over every character (FNV-1a from a per-process seed), so which ids share a probe
 * run differs from process to process. Ids from the wire (request ids, ordering keys) reach a
 * table only for what is in flight — at most the policy's `maxInFlight` — so even ids made to
 * collide cost probes over a few hundred entries, not a growing table.
 *
 * @example
 * ```ts
 * const waiting = new IdTable<PendingEntry>()
 * waiting.set(id, entry)
 * waiting.get(correlation)?.receive(answer)
 * waiting.delete(id)
 * ```
 */
export class IdTable<T> {
  #keys: (string | undefined)[] = []
  #values: (T | undefined)[] = []
  /** The hash of the id in each slot, so probes and moves compare numbers, not strings. */
  #hashes = new Int32Array(0)
  /** When the id in each slot was added (a count of additions), for {@link values} in that order. */
  #added = new Float64Array(0)
  #additions = 0
  #mask = 0
  #size = 0

  constructor() {
    this.#allocate(smallest)
  }

  /** How many ids the table holds. */
  get size(): number {
    return this.#size
  }

  /** The value of `id`, or undefined when the table does not hold it. */
  get(id: string): T | undefined {
    const slot = this.#find(id, hashOf(id))
    return slot < 0 ? undefined : this.#values[slot]
  }

  /** True when the table holds `id`. */
  has(id: string): boolean {
    return this.#find(id, hashOf(id)) >= 0
  }

  /** Sets the value of `id`, replacing the one it had. */
  set(id: string, value: T): void {
    const hash = hashOf(id)
    const found = this.#find(id, hash)
    if (found >= 0) {
      this.#values[found] = value
      return
    }
    if ((this.#size + 1) * 2 > this.#keys.length) this.#resize(this.#keys.length * 2)
    this.#place(id, hash, value, this.#additions++)
    this.#size++
  }

  /** Forgets `id`; false when the table did not hold it. */
  delete(id: string): boolean {
    const slot = this.#find(id, hashOf(id))
    if (slot < 0) return false
    this.#remove(slot)
    this.#size--
    if (this.#keys.length >= shrinkableFrom && this.#size * 32 < this.#keys.length) this.#resize(this.#keys.length / 2)
    return true
  }

  /** The values held, oldest id first: a copy, so the table may change while it is read. */
  values(): T[] {
    const slots: number[] = []
    for (let slot = 0; slot < this.#keys.length; slot++) if (this.#keys[slot] !== undefined) slots.push(slot)
    slots.sort((a, b) => (this.#added[a] ?? 0) - (this.#added[b] ?? 0))
    return slots.map((slot) => this.#values[slot] as T)
  }

  /** Calls `visit` with each value held and its id, in no particular order; the table must not change meanwhile. */
  forEach(visit: (value: T, id: string) => void): void {
    for (let slot = 0; slot < this.#keys.length; slot++) {
      const id = this.#keys[slot]
      if (id !== undefined) visit(this.#values[slot] as T, id)
    }
  }

  /** Forgets every id. */
  clear(): void {
    this.#allocate(smallest)
    this.#size = 0
  }

  /** The slot holding `id`, or -1. */
  #find(id: string, hash: number): number {
    const mask = this.#mask
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const key = this.#keys[slot]
      if (key === undefined) return -1
      if (this.#hashes[slot] === hash && key === id) return slot
    }
  }

  /** Puts an id the table does not hold in the first free slot of its probe run. */
  #place(id: string, hash: number, value: T, added: number): void {
    const mask = this.#mask
    let slot = hash & mask
    while (this.#keys[slot] !== undefined) slot = (slot + 1) & mask
    this.#keys[slot] = id
    this.#values[slot] = value
    this.#hashes[slot] = hash
    this.#added[slot] = added
  }

  /** Empties `slot`, moving back the entries after it that would no longer be found (backward-shift deletion). */
  #remove(slot: number): void {
    const mask = this.#mask
    let hole = slot
    for (let probe = (hole + 1) & mask; ; probe = (probe + 1) & mask) {
      const key = this.#keys[probe]
      if (key === undefined) break
      const home = (this.#hashes[probe] ?? 0) & mask
      if (!keepsItsPlace(home, hole, probe)) {
        this.#keys[hole] = key
        this.#values[hole] = this.#values[probe]
        this.#hashes[hole] = this.#hashes[probe] ?? 0
        this.#added[hole] = this.#added[probe] ?? 0
        hole = probe
      }
    }
    this.#keys[hole] = undefined
    this.#values[hole] = undefined
  }

  /** Empty slots, `length` of them (a power of two). */
  #allocate(length: number): void {
    this.#keys = new Array<string | undefined>(length).fill(undefined)
    this.#values = new Array<T | undefined>(length).fill(undefined)
    this.#hashes = new Int32Array(length)
    this.#added = new Float64Array(length)
    this.#mask = length - 1
  }

  #resize(length: number): void {
    const keys = this.#keys
    const values = this.#values
    const hashes = this.#hashes
    const added = this.#added
    this.#allocate(length)
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot]
      if (key !== undefined) this.#place(key, hashes[slot] ?? 0, values[slot] as T, added[slot] ?? 0)
    }
  }
}

/** FNV-1a over the UTF-16 code units of `id`, from the process's seed, with murmur3's finalizer so the low bits (the slot) depend on every character. */
function hashOf(id: string): number {
  let hash = 0x811c9dc5 ^ seed
  for (let index = 0; index < id.length; index++) hash = Math.imul(hash ^ id.charCodeAt(index), 0x01000193)
  return mix(hash)
}
