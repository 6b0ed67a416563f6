// Who leads what on a local cluster: the partition leaders and group coordinators a fault test
// picks its victim from, and waits that a test needs around a kill.
import { Admin, Consumer, stringDeserializers } from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'

/** Reads leadership from the cluster with a short-lived admin client. */
export class ClusterProbe {
  readonly #admin: Admin
  readonly #brokers: string[]

  constructor(brokers: readonly string[]) {
    this.#brokers = [...brokers]
    this.#admin = new Admin({ clientId: 'fault-probe', bootstrapBrokers: [...brokers], retries: 5, retryDelay: 200 })
  }

  /** The node leading `partition` of `topic` (fresh metadata). */
  async leaderOf(topic: string, partition = 0): Promise<number> {
    const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true })
    const leader = metadata.topics.get(topic)?.partitions[partition]?.leader
    if (leader === undefined || leader < 0) throw new Error(`${topic}-${partition} has no leader`)
    return leader
  }

  /** Every partition's leader. */
  async leaders(topic: string): Promise<number[]> {
    const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true })
    return (metadata.topics.get(topic)?.partitions ?? []).map((partition) => partition.leader)
  }

  /** The node coordinating consumer group `group`. */
  async coordinatorOf(group: string): Promise<number> {
    const found = await this.#admin.findCoordinator({ keyType: 0, keys: [group] })
    const node = found[0]?.nodeId
    if (node === undefined || node < 0) throw new Error(`no coordinator for ${group}`)
    return node
  }

  /**
   * Consumer group `group` as its coordinator sees it: its state and each member's id, client and
   * assigned partitions, one line — what a fault test prints when something went unconsumed.
   */
  async describeGroup(group: string): Promise<string> {
    const found = (await this.#admin.describeGroups({ groups: [group] })).get(group)
    if (found === undefined) return `${group}: not found`
    const members = [...found.members.values()].map((member) => {
      const held = [...(member.assignments?.values() ?? [])].map((assigned) => `${assigned.topic.slice(assigned.topic.lastIndexOf('.') + 1)}/${assigned.partitions.join(',')}`)
      return `${member.id} (${member.clientId}) [${held.join(' ')}]`
    })
    return `${group}: ${found.state}, ${String(members.length)} member(s): ${members.join('; ')}`
  }

  /** Waits until every partition of `topic` has all `replicas` in sync (after a restart). */
  async awaitFullIsr(topic: string, replicas: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined)
      const partitions = metadata?.topics.get(topic)?.partitions ?? []
      if (partitions.length > 0 && partitions.every((partition) => partition.isr.length >= replicas && partition.leader >= 0)) return
      if (Date.now() > deadline) throw new Error(`${topic} did not get ${replicas} in-sync replicas within ${timeoutMs} ms`)
      await sleep(250)
    }
  }

  /**
   * Keys stored more than once in `topic`: copies stored by the broker, as opposed to records a
   * consumer handled twice (every test record has its own key). Reads the whole topic once, from a
   * fresh group. Also gives the widest
   * gap between two copies of one key in records of their partition: the window a consumer must
   * remember message ids over to drop such copies.
   */
  async keysWrittenTwice(topic: string): Promise<{ keys: number; widestGap: number }> {
    const ends = (await this.#admin.listOffsets({ topics: [{ name: topic, partitions: [0, 1, 2, 3, 4, 5].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] })).find((entry) => entry.name === topic)
    let remaining = (ends?.partitions ?? []).reduce((sum, partition) => sum + Number(partition.offset), 0)
    const consumer = new Consumer({ clientId: 'fault-reader', groupId: `fault-reader-${String(Date.now())}`, bootstrapBrokers: this.#brokers, deserializers: stringDeserializers, maxWaitTime: 200 })
    const firstOffset = new Map<string, bigint>()
    const copied = new Set<string>()
    let widestGap = 0
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
      for await (const record of stream) {
        const first = firstOffset.get(record.key)
        if (first === undefined) firstOffset.set(record.key, record.offset)
        else {
          copied.add(record.key)
          widestGap = Math.max(widestGap, Number(record.offset - first))
        }
        if (--remaining <= 0) break
      }
      await stream.close()
    } finally {
      await consumer.close(true)
    }
    return { keys: copied.size, widestGap }
  }

  async close(): Promise<void> {
    await this.#admin.close()
  }
}
