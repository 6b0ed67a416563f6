import type { ChannelHealth } from './channel-health.ts'
import { KafkaIpcError } from './kafka-ipc-error.ts'
import type { Compression, EnvelopeForm, Policy } from './policy.ts'
import type { WireHeaders } from './protocol/headers.ts'

/**
 * The port between kafka-ipc's core and a message broker. The core speaks only this interface;
 * `kafka-ipc` implements it on Apache Kafka and `kafka-ipc/memory` in process. A transport moves
 * records and manages topics; it knows nothing of routes, replies or streams.
 */
export interface Transport {
  /** A short name for logs and errors: `kafka`, `memory`. */
  readonly name: string
  /** Creates the topics that are missing (`create`), or fails with KIPC_TOPIC_MISSING naming the first missing one. */
  ensureTopics(topics: readonly TopicSpec[], create: boolean): Promise<void>
  /** Deletes topics; missing ones are ignored. */
  deleteTopics(names: readonly string[]): Promise<void>
  /**
   * How many members consumer group `group` has now — 0 when it has none or does not exist;
   * undefined when the broker cannot tell. A caller uses it to explain a timeout: nobody is
   * consuming the requests (a stopped service) or somebody is and is slow.
   */
  groupMembers(group: string): Promise<number | undefined>
  /**
   * How many partitions `topic` has, or undefined when it does not exist. A service checks a reply
   * address with it before running the handler: a partition that does not exist would otherwise be
   * taken modulo the count by some clients and the answer land in another reader's partition.
   */
  partitionCount(topic: string): Promise<number | undefined>
  /** The names of the existing topics that start with `prefix` (the inbox sweep lists inboxes with it). */
  listTopics(prefix: string): Promise<string[]>
  /**
   * When each of `topics` (single-partition: inboxes) was last written to, in ms since the epoch,
   * by the broker's clock where the topic asks for it: the newest record's timestamp (Kafka:
   * ListOffsets for the maximum timestamp). `undefined` for a topic holding no record; topics
   * that do not exist are left out. The inbox sweep tells a dead instance's inbox by it.
   */
  lastWrites(topics: readonly string[]): Promise<Map<string, number | undefined>>
  /** Resolves once the broker has durably accepted every message (Kafka: acks=all). */
  send(messages: readonly OutgoingMessage[], options?: SendOptions): Promise<void>
  /**
   * Optional: {@link send}, its outcome told to `receipt` instead of a promise — once, never
   * during this call. The core sends requests and replies this way where a transport offers it
   * ({@link sendAndTell}): at hundreds of records in flight, a promise and its reactions per send
   * are much of what lives across young-generation collections (docs/performance.md).
   */
  sendAndTell?(messages: readonly OutgoingMessage[], options: SendOptions | undefined, receipt: SendReceipt): void
  /**
   * Joins consumer group `group` on `topics` and resolves once consuming has started. Records of
   * one key in one partition are handed over one at a time, in order; records of other keys
   * concurrently, up to `maxInFlight`. A record counts as consumed when its handler settles.
   */
  subscribe(options: SubscribeOptions): Promise<Subscription>
  /**
   * Opens a private inbox: a partition this instance alone reads, without a consumer group, from
   * its end as of this call. Resolves once positioned, so nothing sent afterwards is missed.
   */
  openInbox(options: InboxOptions): Promise<Inbox>
  /** Releases connections. Subscriptions and inboxes must be closed first. */
  close(): Promise<void>
}

/**
 * What `onMessage` rejects with to leave its record **uncommitted**: the subscription commits
 * nothing past it, so the partition's next owner consumes it again. A service uses it when it
 * stops while an event waits for a retry or for its dead letter to be acknowledged: the record is
 * neither done nor safely elsewhere. Any other rejection counts the record as consumed.
 *
 * @example
 * ```ts
 * onMessage: async (message) => { if (stopping) throw new LeaveUncommitted('shutting down before the retry') }
 * ```
 */
export class LeaveUncommitted extends Error {
  override readonly name = 'LeaveUncommitted'
}

/**
 * What a send tells when it ends: `sent()` once the broker has every record, `unsent(error)` when
 * it will not take them. Exactly one of the two is called, once, and never from inside the call
 * that started the send. An object rather than two callbacks, so that what waits for the send —
 * a call's exchange, a reply on its way — is told without a closure per send.
 *
 * @example
 * ```ts
 * class Waiting implements SendReceipt {
 *   sent(): void { console.log('acknowledged') }
 *   unsent(error: unknown): void { console.error(error) }
 * }
 * sendAndTell(transport, oneRecord(message), sendOptionsOf(policy), new Waiting())
 * ```
 */
export interface SendReceipt {
  sent(): void
  unsent(error: unknown): void
}

/**
 * Sends `messages` and tells `receipt` how it ended: through the transport's own
 * {@link Transport.sendAndTell} where it has one, else through its promise. A transport that
 * throws instead of rejecting is told as a failed send, a turn later, as a rejection would be.
 *
 * @example
 * ```ts
 * sendAndTell(transport, oneRecord(reply), sendOptionsOf(policy, deadline), replyOnItsWay)
 * ```
 */
export function sendAndTell(transport: Transport, messages: readonly OutgoingMessage[], options: SendOptions | undefined, receipt: SendReceipt): void {
  try {
    if (transport.sendAndTell !== undefined) {
      transport.sendAndTell(messages, options, receipt)
      return
    }
    transport.send(messages, options).then(
      () => {
        receipt.sent()
      },
      (error: unknown) => {
        receipt.unsent(error)
      },
    )
  } catch (error) {
    queueMicrotask(() => {
      receipt.unsent(error)
    })
  }
}

/**
 * Told how the handling of one record ended, by a handling that tells ({@link ToldHandling}):
 * `handled` when the record is done, `failed` as a rejection would — with {@link LeaveUncommitted}
 * to leave it uncommitted. Exactly one of the two is called, once.
 *
 * @example
 * ```ts
 * class Finishing implements HandlingWatcher {
 *   handled(): void { commitUpTo(record) }
 *   failed(error: unknown): void { if (!(error instanceof LeaveUncommitted)) commitUpTo(record) }
 * }
 * ```
 */
export interface HandlingWatcher {
  handled(): void
  failed(error: unknown): void
}

/**
 * A record's handling in progress that can tell one watcher how it ends, with no promise or
 * reactions made for it — what `onMessage` returns for a request whose reply is on its way, so
 * that the ordered dispatcher holds nothing per request but the watcher it already has. For
 * anyone else it is a thenable, settled as the handling ends (`await` works on it). At most one
 * watcher; it is told after the call that returned the handling, never during it.
 *
 * @example
 * ```ts
 * const running = options.onMessage(message)
 * if (running !== undefined && isToldHandling(running)) running.watch(watcher)
 * else await running
 * ```
 */
export interface ToldHandling extends PromiseLike<void> {
  watch(watcher: HandlingWatcher): void
}

/**
 * Whether `running` — what `onMessage` returned — tells its end to a watcher ({@link ToldHandling})
 * rather than only settling.
 *
 * @example
 * ```ts
 * if (isToldHandling(running)) running.watch(watcher)
 * ```
 */
export function isToldHandling(running: PromiseLike<void>): running is ToldHandling {
  return typeof (running as Partial<ToldHandling>).watch === 'function'
}

/** A topic the core needs, with the policy's settings. */
export interface TopicSpec {
  readonly name: string
  readonly partitions: number
  /** Replication factor; -1 lets the broker decide (default.replication.factor). */
  readonly replication: number
  readonly retentionMs: number
  /** Stamp records with the broker's clock on append (Kafka `message.timestamp.type=LogAppendTime`): inboxes, whose idle time is judged from it. */
  readonly brokerTimestamps?: boolean
}

/** How a batch of records travels; the core passes the policy's choices. */
export interface SendOptions {
  /** Record batch compression (Kafka); transports without batches ignore it. */
  readonly compression?: Compression
  /** How the envelope goes on a record (policy.envelope); transports without record headers ignore it. Default `packed`. */
  readonly envelope?: EnvelopeForm
  /**
   * Epoch ms until which a send that fails with a retryable broker error (a leader election, a
   * lost connection) is tried again. Answers pass the request's deadline, so a reply is not lost
   * to a failover; without it the transport's own short retry budget applies.
   */
  readonly retryUntil?: number
}

/**
 * The list a send of one record hands the transport, made without an array literal. A record
 * waits in its send until the broker acknowledges it — past young-generation collections under
 * load — and V8 may then allocate all of an array literal's later arrays in the old generation
 * ("pretenuring"), where each dead one keeps its young record, header map and body alive until
 * the next full collection: in a responder at 256 in flight, about a megabyte more surviving
 * every young collection (docs/performance.md). An array made by `new Array(1)` and filled gives V8
 * no literal's site to judge, at a literal's cost (`Array.of` would too, at ~160 ns a call).
 *
 * @example
 * ```ts
 * await transport.send(oneRecord(reply), sendOptionsOf(policy, deadline))
 * ```
 */
export function oneRecord(record: OutgoingMessage): OutgoingMessage[] {
  const list: OutgoingMessage[] = new Array<OutgoingMessage>(1)
  list[0] = record
  return list
}

/**
 * How the policy says records go out — their compression and envelope form — and, when given,
 * until when a failed send is tried again.
 *
 * @example
 * ```ts
 * await transport.send(oneRecord(reply), sendOptionsOf(policy, deadline))
 * ```
 */
export function sendOptionsOf(policy: Pick<Policy, 'compression' | 'envelope'>, retryUntil?: number): SendOptions {
  return retryUntil === undefined ? { compression: policy.compression, envelope: policy.envelope } : { compression: policy.compression, envelope: policy.envelope, retryUntil }
}

/** A record to send. */
export interface OutgoingMessage {
  readonly topic: string
  /** Explicit partition (replies to an inbox); otherwise the key decides. */
  readonly partition?: number
  readonly key?: string
  /**
   * The record's headers. A record kafka-ipc builds carries its envelope packed already, as one
   * `kipc` entry (docs/protocol.md §2); a transport that writes separate `kipc-*` headers (policy
   * `envelope: 'headers'`) opens it (`unpackedHeaders`), one that hands records over without
   * encoding them passes it on as it is. Separate `kipc-*` entries may stand beside it.
   */
  readonly headers: WireHeaders
  readonly value: Uint8Array
}

/**
 * A record received. Headers are decoded to strings in a read-only map, as the record carried
 * them: the envelope packed in one `kipc` entry (docs/protocol.md §2) — or as separate `kipc-*` entries
 * from a writer with `envelope: 'headers'`, and beside it a dead letter's `kipc-dlt-*` fields.
 * Read an envelope field with `envelopeField(message.headers, 'kipc-kind')`, which looks in both.
 *
 * A class, so that a transport makes it with `new` rather than as an object literal: a request is
 * held until it is answered and committed — past young-generation collections under load — and V8
 * allocates every later object of a literal whose objects outlive them straight in the old
 * generation, where each keeps its young header map, key and value alive until the next full
 * collection (protocol/outgoing-record.ts). Any object of this shape is accepted where one is read.
 *
 * @example
 * ```ts
 * onMessage(new IncomingMessage('orders.requests', 0, 42n, undefined, headers, value, Date.now()))
 * ```
 */
export class IncomingMessage {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: string | undefined
  /** Read-only: a record whose one header is its packed envelope may carry it as an {@link EnvelopeOnlyHeaders}. */
  readonly headers: ReadonlyMap<string, string>
  readonly value: Uint8Array
  readonly timestamp: number
  /**
   * Set when the transport could not read the record whole — its compressed batch would inflate
   * past the bound (docs/security.md#compressed-batches) — and hands over a stand-in: the
   * pipeline drops or dead-letters it with this error instead of reading it.
   */
  readonly rejected?: KafkaIpcError | undefined

  constructor(topic: string, partition: number, offset: bigint, key: string | undefined, headers: ReadonlyMap<string, string>, value: Uint8Array, timestamp: number, rejected?: KafkaIpcError) {
    this.topic = topic
    this.partition = partition
    this.offset = offset
    this.key = key
    this.headers = headers
    this.value = value
    this.timestamp = timestamp
    // Always set, undefined or not: one shape for every record.
    this.rejected = rejected
  }
}

/** How to subscribe. */
export interface SubscribeOptions {
  readonly group: string
  readonly topics: readonly string[]
  /** Where a group with no committed position starts. */
  readonly startFrom: 'earliest' | 'latest'
  readonly maxInFlight: number
  /**
   * Bytes of records (keys, values, headers) the subscription may hold fetched and not yet
   * finished — the policy's `maxBufferedBytes`, its default when absent. Fetching pauses while
   * the subscription is full.
   */
  readonly maxBufferedBytes?: number
  /**
   * Handles one record. What it returns settles when the record is done (its offset may then be
   * committed) — a promise, or a {@link ToldHandling} that can also tell a watcher without one
   * ({@link isToldHandling}); `undefined` says it is done already — an event handled
   * synchronously, without a promise or a microtask per record. Rejecting with
   * {@link LeaveUncommitted} (or throwing it) leaves the record uncommitted.
   */
  readonly onMessage: (message: IncomingMessage) => PromiseLike<void> | undefined
  /** Failures the subscription cannot hand to a message. Always a KafkaIpcError from the Kafka transport. */
  readonly onError: (error: unknown) => void
  /** Each change of state (starting → consuming → recovering → consuming … → closed), once. */
  readonly onState?: (health: ChannelHealth) => void
}

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/**
 * How far a consumer group is behind on one partition (see {@link Subscription.lag}).
 *
 * @example
 * ```ts
 * const behind = (await subscription.lag()).reduce((sum, { lag }: PartitionLag) => sum + lag, 0)
 * ```
 */
export interface PartitionLag extends TopicPartition {
  /** Records between the group's committed offset and the end of the log. */
  readonly lag: number
}

/** A live subscription. */
export interface Subscription {
  /** The partitions this member holds right now (empty while the group rebalances). */
  assignments(): readonly TopicPartition[]
  /** Where the subscription stands; a broker failover shows as `recovering` until it consumes again. */
  health(): ChannelHealth
  /**
   * How far the group is behind on each partition this member holds now, asked of the broker:
   * the log's end offset minus the group's committed offset — records not yet handled, or handled
   * and not yet committed. A partition the group never committed counts from the start of its log
   * when the subscription starts from `earliest`, and as 0 when from `latest`. Empty while the
   * subscription holds nothing (starting, rebalancing, recovering, closed).
   */
  lag(): Promise<readonly PartitionLag[]>
  /** What the subscription holds now, against its `maxBufferedBytes` (transports that bound it). */
  buffered?(): BufferedRecords
  /** Stops taking new records, waits for those in flight, commits, and leaves the group. */
  close(): Promise<void>
}

/**
 * Records a subscription took from the broker and has not finished — running, waiting behind an
 * earlier record of their key, or queued for room — and their bytes (keys, values, headers).
 *
 * @example
 * ```ts
 * const { records, bytes, paused } = subscription.buffered?.() ?? { records: 0, bytes: 0, paused: false }
 * ```
 */
export interface BufferedRecords {
  readonly records: number
  readonly bytes: number
  /** Fetching is paused because the subscription is full; it resumes as records finish. */
  readonly paused: boolean
}

/** How to open an inbox. */
export interface InboxOptions {
  readonly topic: string
  readonly retentionMs: number
  /** Create the inbox topic if missing (policy autoCreateTopics). */
  readonly create: boolean
  readonly onMessage: (message: IncomingMessage) => void
  readonly onError: (error: unknown) => void
  /** Each change of state, once (see {@link SubscribeOptions.onState}). */
  readonly onState?: (health: ChannelHealth) => void
}

/** A private inbox. */
export interface Inbox {
  /** `topic:partition`, the value of kipc-reply-to. */
  readonly address: string
  /** Where the inbox stands; a lost leader shows as `recovering` until it fetches again. */
  health(): ChannelHealth
  /** Stops reading; `deleteTopic` also deletes the inbox topic (a graceful shutdown does). */
  close(deleteTopic: boolean): Promise<void>
}

/** The error every transport gives for a missing topic when the policy does not create topics. */
export function topicMissing(name: string): KafkaIpcError {
  return new KafkaIpcError(
    'KIPC_TOPIC_MISSING',
    `Topic ${name} does not exist and the policy does not create topics (autoCreateTopics: false). Create it, or enable autoCreateTopics.`,
    { details: { topic: name } },
  )
}
