/**
 * The message ids most recently consumed from each partition, to drop a record that was stored
 * twice. Kafka's idempotent producer normally keeps every send single, but when it loses track of
 * a sequence during a leader election it re-sends under a new producer id and the broker stores a
 * second copy (docs/decisions/0004-supervising-the-kafka-client.md). Both copies carry the same
 * `kipc-id` and key, so they land in the same partition, a bounded distance apart: remembering the
 * last `capacity` ids of each partition finds them without unbounded memory.
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
  /** Per topic, per partition: ids in the order first seen, oldest first (a Set keeps insertion order). */
  readonly #partitions = new Map<string, Map<number, Set<string>>>()

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
    let ids = byPartition.get(partition)
    if (ids === undefined) {
      ids = new Set()
      byPartition.set(partition, ids)
    }
    if (ids.has(id)) return true
    ids.add(id)
    if (ids.size > this.#capacity) ids.delete(ids.values().next().value as string)
    return false
  }
}
