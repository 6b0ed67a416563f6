/**
 * The message ids most recently consumed from each partition, to drop a record that was stored
 * twice. Kafka's idempotent producer normally keeps every send single, but when it loses track of
 * a sequence during a leader election it re-sends under a new producer id and the broker stores a
 * second copy (docs/decisions/0004-supervising-the-kafka-client.md). Both copies carry the same
 * `kipc-id` and key, so they land in the same partition, a bounded distance apart: remembering the
 * last `capacity` ids of each partition finds them without unbounded memory.
 *
 * Ids are kept as 64-bit fingerprints in typed arrays, not as strings in a Set: keeping every id
 * string alive for 10,000 records made each one survive into the old generation, and that
 * garbage-collector work cost about a tenth of request-reply throughput under load. Two different
 * ids share a fingerprint with a probability of about 2⁻⁶⁴ per pair.
 *
 * Holding a partition is not required: ids of a partition this instance lost stay until they age
 * out, which is harmless — the instance that took it over has its own window.
 *
 * @example
 * ```ts
 * const recent = new RecentIds(10_000)
 * if (recent.isRepeat('kipc.pricing.requests', 3, envelope.id)) return // a copy: already handled
 * ```
 */
export class RecentIds {
  readonly #capacity: number
  readonly #partitions = new Map<string, Map<number, FingerprintWindow>>()

  /** @param capacity ids remembered per partition; 0 remembers none (every record is new). */
  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /**
   * True when `id` was already seen in this partition within the window; otherwise remembers it
   * (forgetting the oldest id once the window is full) and returns false.
   */
  isRepeat(topic: string, partition: number, id: string): boolean {
    if (this.#capacity === 0) return false
    let byPartition = this.#partitions.get(topic)
    if (byPartition === undefined) {
      byPartition = new Map()
      this.#partitions.set(topic, byPartition)
    }
    let window = byPartition.get(partition)
    if (window === undefined) {
      window = new FingerprintWindow(this.#capacity)
      byPartition.set(partition, window)
    }
    return window.seenOrAdd(id)
  }
}

/**
 * The last `capacity` fingerprints in insertion order (a ring), indexed by an open-addressing hash
 * table with linear probing; evicting the oldest deletes it from the table by shifting its probe
 * run back, so no tombstones accumulate.
 */
class FingerprintWindow {
  readonly #capacity: number
  /** Ring of fingerprints: high word at 2i, low word at 2i + 1. */
  readonly #ring: Uint32Array
  /** Ring position + 1 of the fingerprint stored in each slot; 0 marks an empty slot. */
  readonly #slots: Int32Array
  readonly #mask: number
  #size = 0
  /** Ring position of the oldest fingerprint once the ring is full; the next write goes there. */
  #next = 0

  constructor(capacity: number) {
    this.#capacity = capacity
    this.#ring = new Uint32Array(capacity * 2)
    let tableSize = 16
    while (tableSize < capacity * 2) tableSize *= 2
    this.#slots = new Int32Array(tableSize)
    this.#mask = tableSize - 1
  }

  seenOrAdd(id: string): boolean {
    const high = hash32(id, 0x01000193)
    const low = hash32(id, 0x5bd1e995)
    let slot = high & this.#mask
    for (;;) {
      const entry = this.#slots[slot] ?? 0
      if (entry === 0) break
      const at = (entry - 1) * 2
      if (this.#ring[at] === high && this.#ring[at + 1] === low) return true
      slot = (slot + 1) & this.#mask
    }
    if (this.#size === this.#capacity) this.#evict(this.#next)
    else this.#size++
    const position = this.#next
    this.#ring[position * 2] = high
    this.#ring[position * 2 + 1] = low
    // The eviction may have shifted entries into the slot found above: probe again for a free one.
    slot = high & this.#mask
    while ((this.#slots[slot] ?? 0) !== 0) slot = (slot + 1) & this.#mask
    this.#slots[slot] = position + 1
    this.#next = (position + 1) % this.#capacity
    return false
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
      // Move the entry into the hole unless its home lies cyclically in (hole, probe].
      const stays = hole <= probe ? home > hole && home <= probe : home > hole || home <= probe
      if (!stays) {
        this.#slots[hole] = entry
        hole = probe
      }
    }
    this.#slots[hole] = 0
  }
}

/**
 * A 32-bit hash of the UTF-16 code units of `text`: a multiply-xor step per unit with multiplier
 * `prime`, then murmur3's finalizer so that every bit (including the low ones used as the table
 * index) depends on every input bit. Two primes give two different hashes: together a 64-bit
 * fingerprint.
 */
function hash32(text: string, prime: number): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), prime)
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}
