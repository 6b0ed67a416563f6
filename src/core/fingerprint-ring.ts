import { keepsItsPlace, mix } from './open-addressing.ts'

/**
 * The last `capacity` 64-bit fingerprints of strings, in insertion order (a ring), indexed by an
 * open-addressing hash table with linear probing. Adding to a full ring forgets the oldest;
 * deleting it from the table shifts its probe run back, so no tombstones accumulate.
 *
 * Fingerprints live in typed arrays, not as strings in a Set or a Map: keeping every key string
 * alive for thousands of records made each one survive into the old generation, and that
 * garbage-collector work cost about a tenth of request-reply throughput under load. Two different
 * strings share a fingerprint with a probability of about 2⁻⁶⁴ per pair.
 *
 * A caller keeps what it knows of each key in its own arrays, indexed by the ring position that
 * {@link find} and {@link add} return.
 *
 * @example
 * ```ts
 * const ring = new FingerprintRing(10_000)
 * const seen = ring.find(id) !== -1
 * if (!seen) ring.add(id)
 * ```
 */
export class FingerprintRing {
  readonly capacity: number
  /** Ring of fingerprints: high word at 2i, low word at 2i + 1. */
  readonly #ring: Uint32Array
  /** Ring position + 1 of the fingerprint stored in each slot; 0 marks an empty slot. */
  readonly #slots: Int32Array
  readonly #mask: number
  #size = 0
  /** Ring position of the oldest fingerprint once the ring is full; the next write goes there. */
  #next = 0
  /** The fingerprint of the text last looked up, kept for the {@link add} that usually follows. */
  #high = 0
  #low = 0
  #text: string | undefined
  /**
   * True while the text last looked up is known to be absent: nothing was added since the lookup
   * that found it missing. A store asks twice for the same key — when a run is claimed and when it
   * finishes — and the second ask then costs no walk through the table.
   */
  #knownAbsent = false

  /** @param capacity fingerprints remembered; at least 1. */
  constructor(capacity: number) {
    this.capacity = capacity
    this.#ring = new Uint32Array(capacity * 2)
    let tableSize = 16
    while (tableSize < capacity * 2) tableSize *= 2
    this.#slots = new Int32Array(tableSize)
    this.#mask = tableSize - 1
  }

  /** The ring position of `text`'s fingerprint, or -1 when it is not (or no longer) in the ring. */
  find(text: string): number {
    if (text === this.#text && this.#knownAbsent) return -1
    this.#fingerprint(text)
    const high = this.#high
    const low = this.#low
    for (let slot = high & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const entry = this.#slots[slot] ?? 0
      if (entry === 0) {
        this.#knownAbsent = true
        return -1
      }
      const at = (entry - 1) * 2
      if (this.#ring[at] === high && this.#ring[at + 1] === low) return entry - 1
    }
  }

  /**
   * Adds `text`'s fingerprint — which must not be in the ring — as the newest, forgetting the
   * oldest when the ring is full, and returns its ring position.
   */
  add(text: string): number {
    this.#knownAbsent = false
    this.#fingerprint(text)
    const high = this.#high
    if (this.#size === this.capacity) this.#evict(this.#next)
    else this.#size++
    const position = this.#next
    this.#ring[position * 2] = high
    this.#ring[position * 2 + 1] = this.#low
    let slot = high & this.#mask
    while ((this.#slots[slot] ?? 0) !== 0) slot = (slot + 1) & this.#mask
    this.#slots[slot] = position + 1
    this.#next = (position + 1) % this.capacity
    return position
  }

  /** Two 32-bit hashes of the UTF-16 code units of `text` in one pass: together a 64-bit fingerprint. */
  #fingerprint(text: string): void {
    if (text === this.#text) return
    this.#text = text
    this.#knownAbsent = false
    let high = 0x811c9dc5
    let low = 0x811c9dc5
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index)
      high = Math.imul(high ^ code, 0x01000193)
      low = Math.imul(low ^ code, 0x5bd1e995)
    }
    this.#high = mix(high) >>> 0
    this.#low = mix(low) >>> 0
  }

  /** Removes ring position `position` from the table (backward-shift deletion). */
  #evict(position: number): void {
    const mask = this.#mask
    let slot = (this.#ring[position * 2] ?? 0) & mask
    while ((this.#slots[slot] ?? 0) !== position + 1) slot = (slot + 1) & mask
    let hole = slot
    for (let probe = (hole + 1) & mask; ; probe = (probe + 1) & mask) {
      const entry = this.#slots[probe] ?? 0
      if (entry === 0) break
      const home = (this.#ring[(entry - 1) * 2] ?? 0) & mask
      if (!keepsItsPlace(home, hole, probe)) {
        this.#slots[hole] = entry
        hole = probe
      }
    }
    this.#slots[hole] = 0
  }
}
