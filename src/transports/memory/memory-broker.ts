import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { IncomingMessage, type OutgoingMessage, type TopicSpec } from '../../core/transport.ts'

/** One partition's log and the readers waiting for its next record. */
interface PartitionLog {
  readonly records: IncomingMessage[]
  waiters: (() => void)[]
}

interface Topic {
  readonly spec: TopicSpec
  readonly partitions: PartitionLog[]
  roundRobin: number
}

/** A consumer group member: the topics it wants and a callback to learn its partitions. */
export interface GroupMember {
  readonly id: string
  readonly topics: readonly string[]
  assign(partitions: readonly { topic: string; partition: number }[]): void
}

interface Group {
  readonly members: GroupMember[]
  readonly committed: Map<string, bigint>
}

/**
 * An in-process stand-in for a Kafka cluster with the semantics kafka-ipc relies on: partitioned
 * append-only logs, keys hashed to partitions, consumer groups that split partitions among their
 * members and rebalance when members come and go, and committed offsets. Share one broker among
 * every service and client of a test.
 *
 * @example
 * ```ts
 * import { MemoryBroker, memoryTransport } from 'kafka-ipc/memory'
 * const broker = new MemoryBroker()
 * const app = createService({ name: 'pricing', transport: memoryTransport(broker) })
 * ```
 */
export class MemoryBroker {
  readonly #topics = new Map<string, Topic>()
  readonly #groups = new Map<string, Group>()

  /** Names of existing topics. */
  topicNames(): string[] {
    return [...this.#topics.keys()]
  }

  /** How many partitions a topic has; undefined when it does not exist. */
  partitionCount(name: string): number | undefined {
    return this.#topics.get(name)?.partitions.length
  }

  hasTopic(name: string): boolean {
    return this.#topics.has(name)
  }

  createTopic(spec: TopicSpec): void {
    if (this.#topics.has(spec.name)) return
    this.#topics.set(spec.name, { spec, partitions: Array.from({ length: spec.partitions }, () => ({ records: [], waiters: [] })), roundRobin: 0 })
    this.#rebalanceGroupsOf(spec.name)
  }

  deleteTopic(name: string): void {
    const topic = this.#topics.get(name)
    if (topic === undefined) return
    this.#topics.delete(name)
    for (const partition of topic.partitions) for (const wake of partition.waiters.splice(0)) wake()
  }

  /** Appends a record; fails like Kafka does for a topic that does not exist. */
  append(message: OutgoingMessage): void {
    const topic = this.#topics.get(message.topic)
    if (topic === undefined) throw new KafkaIpcError('KIPC_TRANSPORT_ERROR', `Unknown topic ${message.topic}.`, { details: { topic: message.topic } })
    const partition = message.partition ?? (message.key === undefined ? topic.roundRobin++ % topic.partitions.length : hashKey(message.key) % topic.partitions.length)
    const log = topic.partitions[partition]
    if (log === undefined) throw new KafkaIpcError('KIPC_TRANSPORT_ERROR', `Topic ${message.topic} has no partition ${partition}.`)
    // A copy, as a Kafka reader gets it — the envelope packed as it was sent: the sender may
    // reuse its map, and a real broker keeps bytes, not the sender's objects.
    log.records.push(new IncomingMessage(message.topic, partition, BigInt(log.records.length), message.key, new Map(message.headers), new Uint8Array(message.value), Date.now()))
    for (const wake of log.waiters.splice(0)) wake()
  }

  /** The newest record's timestamp across a topic's partitions; undefined when it holds none or does not exist. */
  lastWrite(name: string): number | undefined {
    let last: number | undefined
    for (const log of this.#topics.get(name)?.partitions ?? []) {
      const newest = log.records.at(-1)?.timestamp
      if (newest !== undefined && (last === undefined || newest > last)) last = newest
    }
    return last
  }

  /** The offset the next record of a partition will get. */
  endOffset(topic: string, partition: number): bigint {
    return BigInt(this.#log(topic, partition)?.records.length ?? 0)
  }

  /** Records from `offset` on, at most `max`, waiting until there is at least one or `signal` aborts. */
  async read(topic: string, partition: number, offset: bigint, signal: AbortSignal, max = Number.POSITIVE_INFINITY): Promise<IncomingMessage[]> {
    for (;;) {
      if (signal.aborted) return []
      const log = this.#log(topic, partition)
      if (log === undefined) return []
      if (BigInt(log.records.length) > offset) return log.records.slice(Number(offset), Number(offset) + max)
      await new Promise<void>((resolve) => {
        // The listener goes when the wait ends either way: a reader waits thousands of times on
        // one long-lived signal, and leftover listeners would pile up (and slow every add).
        const wake = (): void => {
          signal.removeEventListener('abort', wake)
          resolve()
        }
        log.waiters.push(wake)
        signal.addEventListener('abort', wake, { once: true })
      })
    }
  }

  join(groupId: string, member: GroupMember): void {
    const group = this.#group(groupId)
    group.members.push(member)
    this.#rebalance(group)
  }

  leave(groupId: string, memberId: string): void {
    const group = this.#group(groupId)
    const index = group.members.findIndex((member) => member.id === memberId)
    if (index >= 0) group.members.splice(index, 1)
    this.#rebalance(group)
  }

  /** Members of a consumer group now (0 when it has none or does not exist). */
  groupMembers(groupId: string): number {
    return this.#groups.get(groupId)?.members.length ?? 0
  }

  committed(groupId: string, topic: string, partition: number): bigint | undefined {
    return this.#group(groupId).committed.get(`${topic}:${partition}`)
  }

  commit(groupId: string, topic: string, partition: number, nextOffset: bigint): void {
    const committed = this.#group(groupId).committed
    const key = `${topic}:${partition}`
    if ((committed.get(key) ?? -1n) < nextOffset) committed.set(key, nextOffset)
  }

  #log(topic: string, partition: number): PartitionLog | undefined {
    return this.#topics.get(topic)?.partitions[partition]
  }

  #group(groupId: string): Group {
    let group = this.#groups.get(groupId)
    if (group === undefined) {
      group = { members: [], committed: new Map() }
      this.#groups.set(groupId, group)
    }
    return group
  }

  #rebalanceGroupsOf(topic: string): void {
    for (const group of this.#groups.values()) if (group.members.some((member) => member.topics.includes(topic))) this.#rebalance(group)
  }

  /** Round-robin assignment of every subscribed partition over the members, like Kafka's assignors. */
  #rebalance(group: Group): void {
    const assignments = new Map<string, { topic: string; partition: number }[]>(group.members.map((member) => [member.id, []]))
    const topics = [...new Set(group.members.flatMap((member) => member.topics))].sort()
    let next = 0
    for (const name of topics) {
      const topic = this.#topics.get(name)
      if (topic === undefined) continue
      const candidates = group.members.filter((member) => member.topics.includes(name))
      for (let partition = 0; partition < topic.partitions.length; partition++) {
        const member = candidates[next++ % candidates.length]
        if (member !== undefined) assignments.get(member.id)?.push({ topic: name, partition })
      }
    }
    for (const member of group.members) member.assign(assignments.get(member.id) ?? [])
  }
}

/** A stable 32-bit FNV-1a hash: the same key always lands in the same partition. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
