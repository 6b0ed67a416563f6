import { FingerprintRing } from './fingerprint-ring.ts'

/**
 * The message ids most recently consumed from each partition, to drop a record that was stored
 * twice. Kafka's idempotent producer normally keeps every send single, but when it loses track of
 * a sequence during a leader election it re-sends under a new producer id and the broker stores a
 * second copy (docs/decisions/0004-supervising-the-kafka-client.md). Both copies carry the same
 * `kipc-id` and key, so they land in the same partition, a bounded distance apart: remembering the
 * last `capacity` ids of each partition finds them without unbounded memory.
 *
 * Ids are kept as 64-bit fingerprints ({@link FingerprintRing}), not as strings.
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
  readonly #partitions = new Map<string, Map<number, FingerprintRing>>()

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
      window = new FingerprintRing(this.#capacity)
      byPartition.set(partition, window)
    }
    if (window.find(id) !== -1) return true
    window.add(id)
    return false
  }
}
