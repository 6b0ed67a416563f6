import { Admin, type MessageToProduce, murmur2, Producer } from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import type { Compression, EnvelopeForm } from '../../core/policy.ts'
import { type Inbox, type InboxOptions, type OutgoingMessage, type SendOptions, type Subscription, type SubscribeOptions, topicMissing, type TopicSpec, type Transport } from '../../core/transport.ts'
import { type Logger, stderrLogger } from '../../core/logger.ts'
import { defaultPolicy } from '../../core/policy.ts'
import { brokerAddresses } from './broker-addresses.ts'
import { BrokerReachability, connectTimeout } from './broker-reachability.ts'
import { accessFailureKind, type AccessHint } from './kafka-access-errors.ts'
import { asTransportError, isRetryableKafkaError, isUnknownTopicError, kafkaErrorCode, onlyTopicErrors } from './kafka-errors.ts'
import { openKafkaInbox } from './kafka-inbox.ts'
import { subscribeKafka } from './kafka-subscription.ts'
import { installBoundedDecompression } from './client-decompression.ts'
import { holdInflateLimit } from './inflate-budget.ts'
import { producedHeaders, producerSerializers } from './records.ts'
import { SendBatcher } from './send-batcher.ts'
import { kafkaSecurity } from './kafka-security.ts'
import type { KafkaSecurityOptions } from './kafka-security-options.ts'
import type { KafkaConnection } from './kafka-connection.ts'
import type { KafkaTuning } from './kafka-tuning.ts'

export type { KafkaTuning } from './kafka-tuning.ts'
export type { KafkaSaslMechanism, KafkaSaslOptions, KafkaSecurityOptions, KafkaTlsOptions, Pem } from './kafka-security-options.ts'

/**
 * How to reach Kafka. Everything else comes from the policy. `sasl` and `tls` (docs/security.md)
 * reach every client the transport makes; each, when given, replaces the KAFKA_SASL_* or
 * KAFKA_TLS* variables.
 */
export interface KafkaTransportOptions extends KafkaSecurityOptions {
  /** Bootstrap brokers, each `host:port`; default: $KAFKA_BROKERS, else 127.0.0.1:9092. */
  readonly brokers?: readonly string[] | string
  /**
   * How long the first operation waits for a broker to answer — a service may start before its
   * broker — logging once what it waits for. Then it fails with KIPC_BROKER_UNREACHABLE, naming
   * the addresses and the last cause. Default: $KIPC_CONNECT_TIMEOUT_MS, else 30 000 ms.
   */
  readonly connectTimeoutMs?: number
  /** Where waiting for the broker is logged; any pino-compatible logger. Default: stderr. */
  readonly logger?: Logger
  /** Client id prefix seen in broker logs and quotas. Default 'kafka-ipc'. */
  readonly clientId?: string
  /** Low-level timings; the defaults favour latency. */
  readonly tuning?: Partial<KafkaTuning>
}

/** ListOffsets' timestamp that asks for the record with the largest timestamp (KIP-734, Kafka 3.0+). */
const maxTimestamp = -3n

/** How long a new topic may take to appear, with leaders, in the broker's metadata. */
const metadataWaitMs = 30_000

const defaultTuning: KafkaTuning = { maxWaitTime: 500, sessionTimeout: 3_000, heartbeatInterval: 500, groupProtocol: 'classic', inboxMaxBytes: 8 * 1024 * 1024, commitIntervalMs: 100 }

/**
 * The {@link Transport} on Apache Kafka (3.5+, 4.x) through @platformatic/kafka: an idempotent
 * producer with acks=all, a consumer group per service subscription, and group-less inboxes.
 *
 * @example
 * ```ts
 * import { createService, kafkaTransport } from 'kafka-ipc'
 * const app = createService({ name: 'pricing', transport: kafkaTransport({ brokers: ['kafka-1:9092'] }) })
 *
 * // SASL/SCRAM over TLS (or, with no options, KAFKA_SASL_* and KAFKA_TLS* — docs/security.md)
 * const secured = kafkaTransport({
 *   brokers: ['kafka-1:9094'],
 *   sasl: { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: process.env.PRICING_KAFKA_PASSWORD ?? '' },
 *   tls: { ca: readFileSync('/etc/kafka/ca.pem', 'utf8') },
 * })
 * ```
 */
export function kafkaTransport(options: KafkaTransportOptions = {}): Transport {
  return new KafkaTransport(options)
}

class KafkaTransport implements Transport {
  readonly name = 'kafka'
  readonly #connection: KafkaConnection
  #admin: Admin | undefined
  /** An admin that does not retry: "unknown topic" is an answer here, which the other retries for 2 s. */
  #lookupAdmin: Admin | undefined
  #producer: Producer<string, Uint8Array, string | Buffer, string | Buffer> | undefined
  #closed = false
  readonly #reachability: BrokerReachability
  readonly #batcher = new SendBatcher((messages, compression, envelope) => this.#produce(messages, compression, envelope), {
    mayRetry: isRetryableKafkaError,
    closed: () => this.#closed,
    expired: (messages) => {
      const topics = topicsOf(messages)
      return new KafkaIpcError('KIPC_TRANSPORT_ERROR', `Kafka did not acknowledge the send to ${topics} before its deadline; a leader election may be under way or too few replicas are in sync.`, { retryable: true, details: { topics } })
    },
  })

  constructor(options: KafkaTransportOptions) {
    const addresses = brokerAddresses(options.brokers, process.env)
    const security = kafkaSecurity(options, process.env)
    const secured = { ...(security.sasl === undefined ? {} : { sasl: security.sasl }), ...(security.tls === undefined ? {} : { tls: security.tls }) }
    const principal = security.username === undefined ? undefined : `User:${security.username}`
    const logger = options.logger ?? stderrLogger()
    this.#connection = { base: { clientId: options.clientId ?? 'kafka-ipc', bootstrapBrokers: addresses.brokers, retries: 20, retryDelay: 100, ...secured }, tuning: { ...defaultTuning, ...options.tuning }, transport: this, inboxReplication: -1, principal, logger }
    this.#reachability = new BrokerReachability(addresses, connectTimeout(options.connectTimeoutMs), logger, () => this.#closed, security)
    // Before any consumer exists: a compressed batch is never inflated past the limit (docs/security.md#compressed-batches).
    installBoundedDecompression(logger)
  }

  async ensureTopics(topics: readonly TopicSpec[], create: boolean): Promise<void> {
    if (topics.length === 0) return
    await this.#reachability.reached()
    const admin = this.#adminClient()
    const existing = new Set(await wrap(admin.listTopics(), 'listing topics'))
    const missing = topics.filter((topic) => !existing.has(topic.name))
    if (missing.length === 0) return
    if (!create) {
      await this.#assertNotDenied(missing.map((topic) => topic.name))
      throw topicMissing(missing[0]?.name ?? '')
    }
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
   * The topic list leaves out topics this principal may not DESCRIBE, so under ACLs "missing" may
   * mean "hidden": a metadata request for them tells the two apart, failing with
   * KIPC_NOT_AUTHORIZED (naming the topic) rather than reporting a topic that exists as missing.
   */
  async #assertNotDenied(names: readonly string[]): Promise<void> {
    try {
      await this.#lookupAdminClient().metadata({ topics: [...names] })
    } catch (error) {
      if (accessFailureKind(error) !== undefined) throw asTransportError(error, `looking up ${names.join(', ')}`, { topics: names, principal: this.#connection.principal })
    }
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

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return
    await this.#reachability.reached()
    const admin = this.#adminClient()
    // Deleting a missing topic is retried by the client as if the broker were unsure; skip them.
    const existing = new Set(await wrap(admin.listTopics(), 'listing topics'))
    const present = names.filter((name) => existing.has(name))
    if (present.length === 0) return
    await wrap(admin.deleteTopics({ topics: present }), `deleting ${present.join(', ')}`, { principal: this.#connection.principal }).catch((error: unknown) => {
      if (!onlyTopicErrors((error as { cause?: unknown }).cause, kafkaErrorCode.unknownTopicOrPartition)) throw error
    })
  }

  async groupMembers(group: string): Promise<number | undefined> {
    await this.#reachability.reached()
    return this.#adminClient()
      .describeGroups({ groups: [group] })
      .then(
        (groups) => groups.get(group)?.members.size ?? 0,
        () => undefined,
      )
  }

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

  async listTopics(prefix: string): Promise<string[]> {
    await this.#reachability.reached()
    const names = await wrap(this.#adminClient().listTopics(), 'listing topics')
    return names.filter((name) => name.startsWith(prefix))
  }

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

  /**
   * Sends through the batcher. With `retryUntil`, that is also the send's deadline: a retryable
   * failure (the client library gave up during a leader election or on a dead connection) is
   * tried again with a fresh producer until then, and a send still unacknowledged then fails with
   * a retryable KIPC_TRANSPORT_ERROR (it may still land: at-least-once). Without it the library's
   * own retries are the budget. Not an async function: a send is the batcher's one promise.
   */
  send(messages: readonly OutgoingMessage[], options: SendOptions = {}): Promise<void> {
    if (this.#closed) return Promise.reject(closedError())
    return this.#batcher.send(messages, options.compression, options.envelope, options.retryUntil)
  }

  async #produce(messages: readonly OutgoingMessage[], compression: Compression, envelope: EnvelopeForm): Promise<void> {
    const producer = this.#producerClient()
    try {
      const records: MessageToProduce<string, Uint8Array, string | Buffer, string | Buffer>[] = []
      // One object per record, built whole: no spread of a temporary object per optional field.
      // The library reads an undefined partition or key as absent (it partitions by key or round-robin).
      for (const message of messages) records.push({ topic: message.topic, partition: message.partition, key: message.key, value: message.value, headers: producedHeaders(message.headers, envelope) } as MessageToProduce<string, Uint8Array, string | Buffer, string | Buffer>)
      await producer.send(compression === 'none' ? { messages: records } : { compression, messages: records })
    } catch (error) {
      // The library gave up: its cached metadata may name a dead leader and its idempotence
      // sequence may be out of step with the broker. The next send starts from a fresh producer.
      if (this.#producer === producer) {
        this.#producer = undefined
        void producer.close().catch(() => undefined)
      }
      throw asTransportError(error, `sending to ${topicsOf(messages)}`, { principal: this.#connection.principal })
    }
  }

  #producerClient(): Producer<string, Uint8Array, string | Buffer, string | Buffer> {
    this.#producer ??= new Producer({
      ...this.#connection.base,
      clientId: `${this.#connection.base.clientId}-producer`,
      serializers: producerSerializers,
      acks: -1,
      idempotent: true,
      partitioner: keyedPartitioner(),
      // The library's own short budget; kafka-ipc's send retries until the message's deadline.
      // A longer library budget (25 retries, about 16 s) was tried: duplicates were not fewer,
      // and some sends stalled for 21–23 s during an election (docs/reliability.md).
      retries: 10,
      retryDelay: 100,
    })
    return this.#producer
  }

  /**
   * Batches inflate to at most the subscription's `maxBufferedBytes` while it is open (the largest
   * of the process's subscriptions: one table serves every client). A batch refused at that limit
   * reaches `onMessage` as one stand-in record carrying the error (`rejected`).
   */
  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.#assertOpen()
    await this.#reachability.reached()
    const release = holdInflateLimit(options.maxBufferedBytes ?? defaultPolicy.maxBufferedBytes)
    try {
      const subscription = await subscribeKafka(this.#connection, options)
      return releasingOnClose(subscription, release)
    } catch (error) {
      release()
      throw error
    }
  }

  async openInbox(options: InboxOptions): Promise<Inbox> {
    this.#assertOpen()
    await this.#reachability.reached()
    return openKafkaInbox(this.#connection, options)
  }

  async close(): Promise<void> {
    this.#closed = true
    await Promise.all([this.#producer?.close(), this.#admin?.close(), this.#lookupAdmin?.close()])
    this.#producer = undefined
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

  /** A closed transport makes no new connections: they would outlive it and keep the process alive. */
  #assertOpen(): void {
    if (this.#closed) throw closedError()
  }
}

function closedError(): KafkaIpcError {
  return new KafkaIpcError('KIPC_UNAVAILABLE', 'This Kafka transport is closed; close services and clients before their transport.')
}

/** The subscription, whose close() also gives back its inflate limit. */
function releasingOnClose(subscription: Subscription, release: () => void): Subscription {
  const close = subscription.close.bind(subscription)
  subscription.close = async () => {
    try {
      await close()
    } finally {
      release()
    }
  }
  return subscription
}

/** The topics a send names, for error messages. */
function topicsOf(messages: readonly OutgoingMessage[]): string {
  return [...new Set(messages.map((message) => message.topic))].join(', ')
}

/** Turns the client's errors into KIPC_TRANSPORT_ERROR, keeping the original as the cause. */
async function wrap<T>(operation: Promise<T>, what = 'admin request', hint?: AccessHint): Promise<T> {
  try {
    return await operation
  } catch (error) {
    throw asTransportError(error, what, hint)
  }
}

/**
 * Keys go where the Java client and librdkafka put them (murmur2, positive, modulo partitions), so
 * per-key order holds across kafka-ipc and other producers on the same topic; keyless records are
 * spread round-robin.
 */
function keyedPartitioner(): (message: unknown, key?: Buffer) => number {
  let next = 0
  return (_message, key) => {
    if (key !== undefined && key.length > 0) return murmur2(key) & 0x7fffffff
    next = (next + 1) & 0x7fffffff
    return next
  }
}
