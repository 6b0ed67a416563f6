import { Admin } from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { topicMissing, type TopicSpec } from '../../core/transport.ts'
import type { BrokerReachability } from './broker-reachability.ts'
import { accessFailureKind, type AccessHint } from './kafka-access-errors.ts'
import type { KafkaConnection } from './kafka-connection.ts'
import { asTransportError, isUnknownTopicError, kafkaErrorCode, onlyTopicErrors } from './kafka-errors.ts'

/** ListOffsets' timestamp that asks for the record with the largest timestamp (KIP-734, Kafka 3.0+). */
const maxTimestamp = -3n

/** What a lookup of one topic by name found out. */
type TopicLookup = 'present' | 'absent' | 'unanswered'

/** How long a new topic may take to appear, with leaders, in the broker's metadata. */
const metadataWaitMs = 30_000

/**
 * The Kafka transport's topic and group administration: creating the topics a policy calls for
 * and waiting for their leaders, deleting inboxes, counting a group's members, reading partition
 * counts and the last write of each inbox. Two admin clients, made on first use: one that
 * retries, and a lookup one that does not — "unknown topic" is an answer to a lookup, which the
 * other would retry for 2 s. Every operation first waits until a broker answers
 * ({@link BrokerReachability}).
 *
 * @example
 * ```ts
 * const admin = new KafkaTopicAdmin(connection, reachability, () => { assertOpen() })
 * await admin.ensureTopics([{ name: 'kipc.pricing.requests', partitions: 6, replication: 3, retentionMs: 3_600_000 }], true)
 * ```
 */
export class KafkaTopicAdmin {
  readonly #connection: KafkaConnection
  readonly #reachability: BrokerReachability
  /** Throws when the transport is closed: a closed transport makes no new connections. */
  readonly #assertOpen: () => void
  #admin: Admin | undefined
  #lookupAdmin: Admin | undefined

  constructor(connection: KafkaConnection, reachability: BrokerReachability, assertOpen: () => void) {
    this.#connection = connection
    this.#reachability = reachability
    this.#assertOpen = assertOpen
  }

  /** Creates the topics that do not exist yet (when `create`), then waits for their leaders (Transport.ensureTopics). */
  async ensureTopics(topics: readonly TopicSpec[], create: boolean): Promise<void> {
    if (topics.length === 0) return
    await this.#reachability.reached()
    const absent = new Set(await this.#absent(topics.map((topic) => topic.name), create))
    const missing = topics.filter((topic) => absent.has(topic.name))
    if (missing.length === 0) return
    if (!create) throw topicMissing(missing[0]?.name ?? '')
    const admin = this.#adminClient()
    for (const topic of missing) {
      await wrap(
        admin.createTopics({
          topics: [topic.name],
          partitions: topic.partitions,
          replicas: topic.replication,
          configs: [{ name: 'retention.ms', value: String(topic.retentionMs) }, ...(topic.brokerTimestamps === true ? [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] : [])],
        }),
        `creating topic ${topic.name}`,
        { principal: this.#connection.principal },
      ).catch((error: unknown) => {
        // Another instance created it a moment earlier (TOPIC_ALREADY_EXISTS): that is success too.
        if (!onlyTopicErrors((error as { cause?: unknown }).cause, kafkaErrorCode.topicAlreadyExists)) throw error
      })
    }
    await this.#awaitLeaders(admin, missing.map((topic) => topic.name))
  }

  /**
   * Which of `names` the broker does not have, asked by name: one small Metadata request per
   * topic, the same on a cluster of ten topics or of ten thousand. Listing every topic instead
   * (what this did until 2026-12-04) made each instance's start and close parse the whole
   * cluster's metadata — about 115 bytes per topic on the wire, tens of times that in objects, all
   * alive while it is parsed (docs/scaling.md).
   *
   * Kafka answers a principal that may not DESCRIBE a topic the same whether it exists or not
   * (TOPIC_AUTHORIZATION_FAILED). With `create`, such a topic counts as absent: creating it
   * succeeds, finds it exists, or names the CREATE this principal lacks. Without, the lookup's
   * denial is the error, KIPC_NOT_AUTHORIZED naming the topic. A lookup that fails any other way
   * (a broker restarting) is asked again of the admin client that retries, by listing the topics.
   */
  async #absent(names: readonly string[], create: boolean): Promise<string[]> {
    const lookup = this.#lookupAdminClient()
    const answers = await Promise.all(
      names.map((name) =>
        lookup.metadata({ topics: [name], forceUpdate: true }).then(
          (metadata): TopicLookup => (metadata.topics.has(name) ? 'present' : 'absent'),
          (error: unknown): TopicLookup => {
            if (isUnknownTopicError(error)) return 'absent'
            const access = accessFailureKind(error)
            if (access === 'authorization' && create) return 'absent'
            if (access !== undefined) throw asTransportError(error, `looking up ${name}`, { topics: [name], principal: this.#connection.principal })
            return 'unanswered'
          },
        ),
      ),
    )
    if (answers.includes('unanswered')) {
      const existing = new Set(await wrap(this.#adminClient().listTopics(), 'listing topics'))
      return names.filter((name) => !existing.has(name))
    }
    return names.filter((_, index) => answers[index] === 'absent')
  }

  /**
   * Waits until the broker's metadata shows every partition of new topics with a leader. A topic
   * is created before every broker's metadata cache knows it; a producer, fetch or group join
   * that asks meanwhile gets "unknown topic", which the client does not retry — on a busy or
   * just-started broker that window is long enough for the first request to fail.
   */
  async #awaitLeaders(admin: Admin, names: readonly string[]): Promise<void> {
    const deadline = Date.now() + metadataWaitMs
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      const ready = await admin.metadata({ topics: [...names], forceUpdate: true }).then(
        (metadata) => names.every((name) => metadata.topics.get(name)?.partitions.every((partition) => partition.leader >= 0) === true),
        // Created but not DESCRIBE-able (an ACL allows CREATE only): no wait reveals the leaders.
        (error: unknown) => (accessFailureKind(error) === undefined ? false : Promise.reject(asTransportError(error, `looking up ${names.join(', ')}`, { topics: names, principal: this.#connection.principal }))),
      )
      if (ready) return
      if (Date.now() > deadline) throw new KafkaIpcError('KIPC_TRANSPORT_ERROR', `Kafka created ${names.join(', ')} but did not report leaders for every partition within ${metadataWaitMs} ms.`)
      await sleep(delay)
    }
  }

  /** Deletes the topics that exist; a missing one is not an error. */
  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return
    await this.#reachability.reached()
    const admin = this.#adminClient()
    // Deleting a missing topic is retried by the client as if the broker were unsure; skip them.
    const absent = new Set(await this.#absent(names, false))
    const present = names.filter((name) => !absent.has(name))
    if (present.length === 0) return
    await wrap(admin.deleteTopics({ topics: present }), `deleting ${present.join(', ')}`, { principal: this.#connection.principal }).catch((error: unknown) => {
      if (!onlyTopicErrors((error as { cause?: unknown }).cause, kafkaErrorCode.unknownTopicOrPartition)) throw error
    })
  }

  /** The members of a consumer group, or undefined when the broker cannot say. */
  async groupMembers(group: string): Promise<number | undefined> {
    await this.#reachability.reached()
    return this.#adminClient()
      .describeGroups({ groups: [group] })
      .then(
        (groups) => groups.get(group)?.members.size ?? 0,
        () => undefined,
      )
  }

  /** The partitions of a topic, asked of the broker afresh; undefined when the topic does not exist. */
  async partitionCount(topic: string): Promise<number | undefined> {
    await this.#reachability.reached()
    try {
      const metadata = await this.#lookupAdminClient().metadata({ topics: [topic], forceUpdate: true })
      return metadata.topics.get(topic)?.partitionsCount
    } catch (error) {
      if (isUnknownTopicError(error)) return undefined
      throw asTransportError(error, `reading the metadata of ${topic}`, { topics: [topic], principal: this.#connection.principal })
    }
  }

  /** The names of the topics that start with `prefix`. */
  async listTopics(prefix: string): Promise<string[]> {
    await this.#reachability.reached()
    const names = await wrap(this.#adminClient().listTopics(), 'listing topics')
    return names.filter((name) => name.startsWith(prefix))
  }

  /** The timestamp of the last record in partition 0 of each topic (undefined: none); topics deleted meanwhile are left out. */
  async lastWrites(topics: readonly string[]): Promise<Map<string, number | undefined>> {
    const found = new Map<string, number | undefined>()
    if (topics.length === 0) return found
    await this.#reachability.reached()
    const admin = this.#lookupAdminClient()
    const ask = (names: readonly string[]): Promise<void> =>
      admin.listOffsets({ topics: names.map((name) => ({ name, partitions: [{ partitionIndex: 0, timestamp: maxTimestamp }] })) }).then((listed) => {
        // Offset -1: the partition holds no record (never written, or its records expired).
        for (const topic of listed) found.set(topic.name, topic.partitions[0] === undefined || topic.partitions[0].offset < 0n ? undefined : Number(topic.partitions[0].timestamp))
      })
    try {
      await ask(topics)
    } catch {
      // One topic deleted meanwhile fails the whole request: ask one by one, leaving out the gone.
      for (const name of topics) {
        await ask([name]).catch((error: unknown) => {
          if (!isUnknownTopicError(error)) throw asTransportError(error, `reading the last write of ${name}`, { topics: [name], principal: this.#connection.principal })
        })
      }
    }
    return found
  }

  /** Closes the admin clients made so far. */
  async close(): Promise<void> {
    await Promise.all([this.#admin?.close(), this.#lookupAdmin?.close()])
    this.#admin = undefined
    this.#lookupAdmin = undefined
  }

  #adminClient(): Admin {
    this.#assertOpen()
    this.#admin ??= new Admin({ ...this.#connection.base, clientId: `${this.#connection.base.clientId}-admin` })
    return this.#admin
  }

  #lookupAdminClient(): Admin {
    this.#assertOpen()
    this.#lookupAdmin ??= new Admin({ ...this.#connection.base, clientId: `${this.#connection.base.clientId}-lookup`, retries: 0 })
    return this.#lookupAdmin
  }
}

/** Turns the client's errors into KIPC_TRANSPORT_ERROR, keeping the original as the cause. */
async function wrap<T>(operation: Promise<T>, what = 'admin request', hint?: AccessHint): Promise<T> {
  try {
    return await operation
  } catch (error) {
    throw asTransportError(error, what, hint)
  }
}
