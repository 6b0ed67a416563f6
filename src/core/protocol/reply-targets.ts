import { setTimeout as sleep } from 'node:timers/promises'
import type { Policy } from '../policy.ts'
import { topicNames } from './topic-names.ts'

/** Where an answer may go: an inbox topic of this policy and one of its partitions. */
export interface ReplyTarget {
  readonly topic: string
  readonly partition: number
}

/** A reply address refused, and why — the message of the drop report. */
export interface RefusedTarget {
  readonly refused: string
}

/** Reads a topic's partition count from the broker; undefined when the topic does not exist. */
export type PartitionCounter = (topic: string) => Promise<number | undefined>

/**
 * How long an inbox that does not exist yet is looked for again before the request is dropped. A
 * caller creates its inbox before it sends, but a broker other than the one it asked may learn of
 * the new topic a moment later.
 */
const missingInboxGraceMs = [50, 150, 400, 1_000] as const

/** Inbox topics whose partition count is remembered; the oldest is forgotten past this. */
const rememberedInboxes = 10_000
/** Reply addresses remembered as read; the oldest is forgotten past this. */
const rememberedAddresses = 10_000

/**
 * The reply-address rules of docs/protocol.md §5: an answer goes only to a partition that exists
 * of an inbox topic of this policy's prefix. Anything else — another prefix, a topic that is not an
 * inbox, a malformed address, an inbox that does not exist, a partition past its last — drops the
 * request before its handler runs, so a request cannot make a service write elsewhere, and no
 * answer lands in a partition some other reader owns (a client that took the partition modulo the
 * count would put `inbox:7` on partition 0).
 *
 * Partition counts are read from the broker once per inbox and remembered; when the broker says
 * the topic does not exist, it is asked again a few times over about 1.6 s, because a new topic
 * reaches every broker's metadata a moment after it is created. A broker that cannot answer at all
 * drops nothing: the answer is tried, and fails or lands as it would have.
 *
 * @example
 * ```ts
 * const targets = new ReplyTargets(policy, (topic) => transport.partitionCount(topic))
 * const target = await targets.resolve(envelope.replyTo) // synchronous once the inbox is known
 * if ('refused' in target) return drop(target.refused)
 * ```
 */
export class ReplyTargets {
  readonly #policy: Policy
  readonly #count: PartitionCounter
  /** Lookups under way, shared by the requests that wait on them. */
  readonly #lookups = new Map<string, Promise<number | undefined>>()
  /** Partition counts the broker gave: a request from a known inbox is checked without waiting. */
  readonly #counts = new Map<string, number>()
  /**
   * Addresses already read as an inbox of this policy, by their text. Every request of one caller
   * instance names the same address: reading it once spares each of them a regular expression, a
   * split and two objects (docs/performance.md). The targets are never changed, so they are shared.
   */
  readonly #read = new Map<string, ReplyTarget>()

  constructor(policy: Policy, count: PartitionCounter) {
    this.#policy = policy
    this.#count = count
  }

  /**
   * The target of a `kipc-reply-to` address, or why it is refused: at once for an inbox whose
   * partition count is known (every request after an inbox's first), else once the broker said.
   */
  resolve(address: string | undefined): ReplyTarget | RefusedTarget | Promise<ReplyTarget | RefusedTarget> {
    const target = address === undefined ? undefined : this.#inboxAt(address)
    if (target === undefined) return { refused: `reply target ${JSON.stringify(address ?? null)} is not an inbox of prefix ${this.#policy.prefix}` }
    const known = this.#counts.get(target.topic)
    if (known !== undefined) return checked(target, known)
    return this.#partitions(target.topic).then((partitions) => (partitions === undefined ? { refused: `reply target ${target.topic}:${target.partition}: inbox ${target.topic} does not exist` } : checked(target, partitions)))
  }

  /** The inbox partition `address` names, read once per address; undefined when it names none of this policy. Refusals are not remembered. */
  #inboxAt(address: string): ReplyTarget | undefined {
    const known = this.#read.get(address)
    if (known !== undefined) return known
    const target = topicNames.allowedInbox(this.#policy, address)
    if (target === undefined) return undefined
    rememberAtMost(this.#read, address, target, rememberedAddresses)
    return target
  }

  /** The partition count, NaN when the broker could not tell, undefined when the topic does not exist. */
  #partitions(topic: string): Promise<number | undefined> {
    let lookup = this.#lookups.get(topic)
    if (lookup === undefined) {
      lookup = this.#lookUp(topic).finally(() => this.#lookups.delete(topic))
      this.#lookups.set(topic, lookup)
    }
    return lookup
  }

  /** Asks the broker, and again through the grace while it does not know the topic. Only a count found is remembered. */
  async #lookUp(topic: string): Promise<number | undefined> {
    for (const pause of [0, ...missingInboxGraceMs]) {
      if (pause > 0) await sleep(pause)
      const count = await this.#count(topic).catch(() => Number.NaN)
      // A broker that cannot tell is not asked again now, nor is its silence kept for later.
      if (Number.isNaN(count)) return count
      if (count !== undefined) {
        rememberAtMost(this.#counts, topic, count, rememberedInboxes)
        return count
      }
    }
    // Still unknown after the grace: this inbox does not exist (it may be created later).
    return undefined
  }
}

/** Sets `key` in `map`, first forgetting the oldest entry when the map already holds `limit`. */
function rememberAtMost<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  if (map.size >= limit) map.delete(map.keys().next().value ?? '')
  map.set(key, value)
}

/** A target within the inbox's partitions; NaN partitions (the broker could not tell) drop nothing. */
function checked(target: ReplyTarget, partitions: number): ReplyTarget | RefusedTarget {
  if (Number.isNaN(partitions) || target.partition < partitions) return target
  return { refused: `reply target ${target.topic}:${target.partition}: inbox ${target.topic} has ${partitions} partition(s), no partition ${target.partition}` }
}
