import type { Buffer } from 'node:buffer'
import { type MessageToProduce, murmur2, Producer } from '@platformatic/kafka'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import type { Compression, EnvelopeForm } from '../../core/policy.ts'
import { type Inbox, type InboxOptions, type OutgoingMessage, type SendOptions, type SendReceipt, type Subscription, type SubscribeOptions, type TopicSpec, type Transport } from '../../core/transport.ts'
import { type Logger, stderrLogger } from '../../core/logger.ts'
import { defaultPolicy } from '../../core/policy.ts'
import { brokerAddresses } from './broker-addresses.ts'
import { BrokerReachability, connectTimeout } from './broker-reachability.ts'
import { asTransportError, isRetryableKafkaError } from './kafka-errors.ts'
import { openKafkaInbox } from './kafka-inbox.ts'
import { subscribeKafka } from './kafka-subscription.ts'
import { KafkaTopicAdmin } from './kafka-topic-admin.ts'
import { asKafkaIpcClient, installBoundedDecompression } from './client-decompression.ts'
import { holdInflateLimit } from './inflate-budget.ts'
import { ProducedRecord, producedHeaders, producerSerializers } from './records.ts'
import type { ProduceBatch } from './produce-batch.ts'
import { SendBatcher } from './send-batcher.ts'
import { kafkaSecurity } from './kafka-security.ts'
import type { KafkaSecurityOptions } from './kafka-security-options.ts'
import type { KafkaConnection } from './kafka-connection.ts'
import type { KafkaTuning } from './kafka-tuning.ts'

export type { KafkaTuning } from './kafka-tuning.ts'
export type { KafkaSaslMechanism, KafkaSaslOptions, KafkaSaslPasswordOptions, KafkaSaslTokenOptions, KafkaSecurityOptions, KafkaTlsOptions, Pem } from './kafka-security-options.ts'

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
  readonly #topicAdmin: KafkaTopicAdmin
  #producer: Producer<string, Uint8Array, string | Buffer, string | Buffer> | undefined
  #closed = false
  readonly #reachability: BrokerReachability
  /** The turn last taken by the round-robin over partitions for keyless records. */
  #roundRobin = 0
  readonly #batcher = new SendBatcher((batch, compression, envelope) => this.#produce(batch, compression, envelope), {
    place: (message) => this.#place(message),
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
    this.#topicAdmin = new KafkaTopicAdmin(this.#connection, this.#reachability, () => {
      this.#assertOpen()
    })
    // Before any consumer exists: a compressed batch is never inflated past the limit (docs/security.md#compressed-batches).
    installBoundedDecompression(logger)
  }

  ensureTopics(topics: readonly TopicSpec[], create: boolean): Promise<void> {
    return this.#topicAdmin.ensureTopics(topics, create)
  }

  deleteTopics(names: readonly string[]): Promise<void> {
    return this.#topicAdmin.deleteTopics(names)
  }

  groupMembers(group: string): Promise<number | undefined> {
    return this.#topicAdmin.groupMembers(group)
  }

  partitionCount(topic: string): Promise<number | undefined> {
    return this.#topicAdmin.partitionCount(topic)
  }

  listTopics(prefix: string): Promise<string[]> {
    return this.#topicAdmin.listTopics(prefix)
  }

  lastWrites(topics: readonly string[]): Promise<Map<string, number | undefined>> {
    return this.#topicAdmin.lastWrites(topics)
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

  /** {@link send}, told to `receipt` rather than through a promise (core/transport.ts). */
  sendAndTell(messages: readonly OutgoingMessage[], options: SendOptions = {}, receipt: SendReceipt): void {
    if (this.#closed) {
      const error = closedError()
      // Told a turn later, as a rejected promise would be: never inside the call that sent.
      queueMicrotask(() => {
        receipt.unsent(error)
      })
      return
    }
    this.#batcher.sendAndTell(messages, options.compression ?? 'none', options.envelope ?? 'packed', options.retryUntil, receipt)
  }

  async #produce(batch: ProduceBatch, compression: Compression, envelope: EnvelopeForm): Promise<void> {
    const producer = this.#producerClient()
    const { messages, partitions } = batch
    try {
      const records: MessageToProduce<string, Uint8Array, string | Buffer, string | Buffer>[] = []
      for (let index = 0; index < messages.length; index++) {
        const message = messages[index] as OutgoingMessage
        records.push(new ProducedRecord(message.topic, partitions[index], message.key, message.value, producedHeaders(message.headers, envelope)) as MessageToProduce<string, Uint8Array, string | Buffer, string | Buffer>)
      }
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

  /**
   * The partition a record goes to, as its produce is put together: its own, or — a keyless record
   * on a topic whose partitions the producer knows — the next in turn (round-robin, as the
   * producer would place it). A keyed record, and a record to a topic not yet known, are left to
   * the producer (its partitioner hashes the key). Placed here, a produce of many keyless records
   * may gather up to the size limit of each partition rather than of one (send-batcher.ts).
   */
  #place(message: OutgoingMessage): number | undefined {
    if (message.partition !== undefined) return message.partition
    if (message.key !== undefined && message.key.length > 0) return undefined
    const partitions = this.#producer?.currentMetadata?.topics.get(message.topic)?.partitionsCount
    if (partitions === undefined || partitions < 1) return undefined
    return this.#nextTurn() % partitions
  }

  /** The next turn of the round-robin over partitions for keyless records, placed here or by the producer. */
  #nextTurn(): number {
    this.#roundRobin = (this.#roundRobin + 1) & 0x7fffffff
    return this.#roundRobin
  }

  #producerClient(): Producer<string, Uint8Array, string | Buffer, string | Buffer> {
    this.#producer ??= new Producer({
      ...this.#connection.base,
      clientId: `${this.#connection.base.clientId}-producer`,
      serializers: producerSerializers,
      acks: -1,
      idempotent: true,
      partitioner: keyedPartitioner(() => this.#nextTurn()),
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
      const subscription = await asKafkaIpcClient(() => subscribeKafka(this.#connection, options))
      return releasingOnClose(subscription, release)
    } catch (error) {
      release()
      throw error
    }
  }

  async openInbox(options: InboxOptions): Promise<Inbox> {
    this.#assertOpen()
    await this.#reachability.reached()
    return asKafkaIpcClient(() => openKafkaInbox(this.#connection, options))
  }

  async close(): Promise<void> {
    this.#closed = true
    await Promise.all([this.#producer?.close(), this.#topicAdmin.close()])
    this.#producer = undefined
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

/**
 * Keys go where the Java client and librdkafka put them (murmur2, positive, modulo partitions), so
 * per-key order holds across kafka-ipc and other producers on the same topic; keyless records take
 * `nextTurn()`, the transport's one round-robin.
 */
function keyedPartitioner(nextTurn: () => number): (message: unknown, key?: Buffer) => number {
  return (_message, key) => (key !== undefined && key.length > 0 ? murmur2(key) & 0x7fffffff : nextTurn())
}
