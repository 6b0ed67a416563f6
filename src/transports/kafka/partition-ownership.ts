/** One entry of a consumer's assignment, as the client library reports it. */
export interface AssignedPartitions {
  readonly topic: string
  readonly partitions: readonly number[]
}

/**
 * What a consumer group member may hand to its handlers: the partitions it holds now, and how far
 * it has already handed each of them over. A record is admitted once — a fetch that was in flight
 * when a rebalance took its partition away is refused (the new owner reads it from the committed
 * offset), and so is a record re-read after a recovery restarted the consumer at the last commit
 * (it is running or done here already).
 *
 * The ownership lookup is rebuilt only when the library replaces its assignments array (once per
 * rebalance), and then the marks of partitions the new assignment leaves out are forgotten: a
 * partition won back later starts again from its committed offset, which another member may have
 * moved on.
 *
 * @example
 * ```ts
 * const ownership = new PartitionOwnership(() => consumer.assignments)
 * stream.on('data', (record) => {
 *   if (ownership.admit(record.topic, record.partition, record.offset)) dispatch(record)
 * })
 * ```
 */
export class PartitionOwnership {
  readonly #assignments: () => readonly AssignedPartitions[] | null | undefined
  #source: unknown
  #owned: ReadonlyMap<string, ReadonlySet<number>> = new Map()
  /** The highest offset handed over, by topic and partition. Nested maps: no string is built per record. */
  readonly #handedOver = new Map<string, Map<number, bigint>>()

  /** @param assignments reads the consumer's current assignment (`undefined` while it has none). */
  constructor(assignments: () => readonly AssignedPartitions[] | null | undefined) {
    this.#assignments = assignments
  }

  /** Whether the consumer holds `partition` of `topic` now. */
  owns(topic: string, partition: number): boolean {
    const current = this.#assignments()
    if (current !== this.#source) {
      this.#source = current
      this.#owned = new Map((current ?? []).map(({ topic: name, partitions }) => [name, new Set(partitions)]))
      // No assignment yet (a consumer joining during a recovery) says nothing about what was lost.
      if (current == null) return false
      this.#forgetUnowned()
    }
    return this.#owned.get(topic)?.has(partition) === true
  }

  /**
   * Whether a fetched record is to be handed to the handlers: its partition is held and it lies
   * past everything handed over from that partition. An admitted record becomes the new mark.
   */
  admit(topic: string, partition: number, offset: bigint): boolean {
    if (!this.owns(topic, partition)) return false
    let partitions = this.#handedOver.get(topic)
    if (partitions === undefined) {
      partitions = new Map()
      this.#handedOver.set(topic, partitions)
    }
    const handedOver = partitions.get(partition)
    if (handedOver !== undefined && offset <= handedOver) return false
    partitions.set(partition, offset)
    return true
  }

  #forgetUnowned(): void {
    for (const [name, partitions] of this.#handedOver) {
      const held = this.#owned.get(name)
      for (const index of partitions.keys()) if (held?.has(index) !== true) partitions.delete(index)
    }
  }
}
