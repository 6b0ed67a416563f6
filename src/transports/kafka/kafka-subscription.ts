import type { Buffer } from 'node:buffer'
import { Consumer, type MessagesStream } from '@platformatic/kafka'
import type { ChannelHealth } from '../../core/channel-health.ts'
import { defaultPolicy } from '../../core/policy.ts'
import type { BufferedRecords, IncomingMessage, PartitionLag, Subscription, SubscribeOptions, TopicPartition } from '../../core/transport.ts'
import { bufferBudget } from '../buffer-budget.ts'
import { ChannelTracker } from '../channel-tracker.ts'
import { OrderedDispatcher } from '../ordered-dispatcher.ts'
import { recordBytes } from '../record-bytes.ts'
import { backoff } from '../../core/backoff.ts'
import { brokerDefaultMinSessionMs, refusedSessionTimeout } from './session-timeout.ts'
import { CommitCoalescer } from './commit-coalescer.ts'
import { CommitGate } from './commit-gate.ts'
import { consumerLag } from './consumer-lag.ts'
import { closeWithin } from './consumer-teardown.ts'
import { MembershipWatch } from './membership-watch.ts'
import { asTransportError, isRebalanceError } from './kafka-errors.ts'
import { StreamBackpressure } from './stream-backpressure.ts'
import { PartitionOwnership } from './partition-ownership.ts'
import type { KafkaConnection } from './kafka-connection.ts'
import { type RawMessage, rawDeserializers, toIncoming } from './records.ts'

type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>
type RawConsumer = Consumer

/** How long a rebalance waits for every member to rejoin (ms): members finishing their in-flight records before they give up partitions need this long, whatever the session. */
const minRebalanceTimeoutMs = 10_000
/** Longest a consumer being replaced may take to leave its group before it is abandoned. */
const teardownMs = 5_000

/**
 * Joins a consumer group and consumes until closed — through broker failures too. See
 * {@link KafkaSubscription}.
 */
export async function subscribeKafka(connection: KafkaConnection, options: SubscribeOptions): Promise<Subscription> {
  const subscription = new KafkaSubscription(connection, options)
  await subscription.start()
  return subscription
}

/**
 * A consumer group member on Kafka that re-establishes itself. Records go through the
 * {@link OrderedDispatcher} (per-key order, bounded concurrency). Memory is bounded by
 * `maxBufferedBytes` ({@link bufferBudget}): a round of fetches brings at most a quarter of it,
 * and the stream pauses — no further fetch — while the dispatcher is full; the rest of the fetch
 * that filled it waits, counted, in the dispatcher's queue. Offsets are committed only past
 * records whose handler finished — gathered for `commitIntervalMs` and sent together
 * ({@link CommitCoalescer}) — so a crash replays unfinished work instead of losing it.
 *
 * The client library gives up on a fetch after its retries (about 2 s) — shorter than a leader
 * election — and then destroys the stream while the consumer stays in the group, holding its
 * partitions and consuming nothing. Here any such end (a stream error or close, a failed rejoin, a
 * stalled heartbeat) starts a recovery: the consumer is replaced by a fresh one (fresh metadata and
 * connections, the same group, so consumption resumes from the committed offsets), retried with
 * backoff and jitter until it works or the subscription is closed. Records handed to the handler
 * before the failure are not handed over a second time when the new consumer re-reads them.
 */
class KafkaSubscription implements Subscription {
  readonly #connection: KafkaConnection
  /** The tuning's session timeout, or the broker's minimum once the broker refused it. */
  #sessionTimeout: number
  readonly #options: SubscribeOptions
  readonly #tracker: ChannelTracker
  readonly #dispatcher: OrderedDispatcher<IncomingMessage>
  readonly #maxBufferedBytes: number
  readonly #backpressure: StreamBackpressure
  readonly #commits: CommitCoalescer
  /** When the current consumer may commit without setting off a rebalance; replaced with the consumer. */
  #gate = new CommitGate(() => undefined)
  /** Which partitions this member holds and how far each was handed over: a re-read after a recovery skips up to it. */
  readonly #ownership = new PartitionOwnership(() => this.#consumer?.assignments)
  readonly #stop = new AbortController()
  #consumer: RawConsumer | undefined
  #stream: RawStream | undefined
  #recovery: Promise<void> | undefined
  /**
   * The current consumer's group membership is gone: a rejoin failed or its heartbeats stalled.
   * The library then schedules no more heartbeats, so a new stream on that consumer would fetch
   * its last partitions outside the group — which has expired it and may have given them to
   * nobody — for good. Such a consumer is replaced, never given a new stream.
   */
  #membershipLost = false
  /**
   * Watches, while the subscription consumes, that its consumer is still a member of the group:
   * the client library stops heartbeating on some of its ways out of a failed rejoin without an
   * event that says so ({@link MembershipWatch}).
   */
  readonly #membership: MembershipWatch
  /** Consumers being replaced: closed in the background, awaited by close(). */
  readonly #retiring = new Set<Promise<void>>()

  constructor(connection: KafkaConnection, options: SubscribeOptions) {
    this.#connection = connection
    this.#sessionTimeout = connection.tuning.sessionTimeout
    this.#options = options
    this.#tracker = new ChannelTracker(`subscription ${options.group}`, options.onState)
    this.#commits = new CommitCoalescer(
      connection.tuning.commitIntervalMs,
      (topic, partition) => this.#ownership.owns(topic, partition),
      async (offsets) => {
        const consumer = this.#consumer
        if (consumer === undefined) throw new Error('no consumer while recovering')
        await consumer.commit({ offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset + 1n, leaderEpoch: -1 })) })
      },
      (error) => {
        this.#gate.failed()
        // While recovering or rebalancing, a refused commit is expected: its offsets are committed
        // with the next flush once the member rejoined.
        if (this.#tracker.state !== 'recovering' && !isRebalanceError(error)) options.onError(asTransportError(error, `committing offsets of group ${options.group}`))
      },
      () => this.#gate.open,
    )
    this.#membership = new MembershipWatch(
      () => this.#tracker.state !== 'consuming' || this.#consumer?.isActive() !== false,
      // Longer than a rebalance may keep a member out (its rebalance timeout) and a session more.
      () => Math.max(this.#sessionTimeout, minRebalanceTimeoutMs) + this.#sessionTimeout,
      () => {
        const consumer = this.#consumer
        if (consumer !== undefined) this.#membershipFailed(consumer, new Error('the consumer stopped heartbeating: it is no longer a member of its group'), 'heartbeating')
      },
    )
    this.#maxBufferedBytes = options.maxBufferedBytes ?? defaultPolicy.maxBufferedBytes
    this.#dispatcher = new OrderedDispatcher<IncomingMessage>(
      {
        maxInFlight: options.maxInFlight,
        maxInFlightBytes: bufferBudget(this.#maxBufferedBytes).startedBytes,
        sizeOf: recordBytes,
        // A record queued while a rebalance took its partition away is the new owner's to run.
        stillWanted: (delivery) => this.#ownership.owns(delivery.topic, delivery.partition),
      },
      (delivery) => options.onMessage(delivery),
      (delivery) => {
        this.#commits.add(delivery)
      },
    )
    this.#backpressure = new StreamBackpressure(
      this.#dispatcher,
      () => this.#stream,
      () => this.#stopped(),
    )
  }

  /** The first connection: a failure here fails listen() with a typed error instead of retrying forever. */
  async start(): Promise<void> {
    try {
      await this.#connect()
    } catch (error) {
      await this.#retire()
      // A broker that keeps the default minimum session (6 s) refuses the shorter default: join with its minimum.
      if (refusedSessionTimeout(error) && this.#sessionTimeout < brokerDefaultMinSessionMs) {
        this.#connection.logger.info({ group: this.#options.group, sessionTimeoutMs: this.#sessionTimeout, fallbackMs: brokerDefaultMinSessionMs }, `the broker refuses a ${String(this.#sessionTimeout)} ms session for group ${this.#options.group} (group.min.session.timeout.ms); joining with ${String(brokerDefaultMinSessionMs)} ms, so a crashed instance's partitions move after about that long`)
        this.#sessionTimeout = brokerDefaultMinSessionMs
        await this.start()
        return
      }
      throw asTransportError(error, `joining group ${this.#options.group} on ${this.#options.topics.join(', ')}`, { group: this.#options.group, topics: this.#options.topics, principal: this.#connection.principal })
    }
    this.#tracker.consuming()
    this.#membership.start()
  }

  assignments(): readonly TopicPartition[] {
    if (this.#tracker.state !== 'consuming') return []
    return (this.#consumer?.assignments ?? []).flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })))
  }

  health(): ChannelHealth {
    return this.#tracker.health()
  }

  buffered(): BufferedRecords {
    return { ...this.#dispatcher.buffered, paused: this.#backpressure.paused }
  }

  async lag(): Promise<readonly PartitionLag[]> {
    const consumer = this.#consumer
    const held = this.assignments()
    if (consumer === undefined || held.length === 0) return []
    return consumerLag(consumer, held, this.#options.startFrom).catch((error: unknown) => {
      throw asTransportError(error, `reading the lag of group ${this.#options.group}`)
    })
  }

  async close(): Promise<void> {
    if (this.#tracker.state === 'closed') return
    this.#tracker.closed()
    this.#membership.stop()
    this.#stop.abort()
    this.#stream?.pause()
    await this.#recovery
    // Records fetched ahead and not started stay uncommitted: the partitions' next owner reads them.
    this.#dispatcher.discardQueued()
    await this.#dispatcher.drain()
    await this.#commits.flush()
    await this.#retire()
    await Promise.all(this.#retiring)
  }

  /** Creates a consumer, joins the group and starts the stream. */
  async #connect(): Promise<void> {
    const { base, tuning } = this.#connection
    this.#membershipLost = false
    const consumer: RawConsumer = new Consumer({
      ...base,
      clientId: `${base.clientId}-${this.#options.group}`,
      groupId: this.#options.group,
      deserializers: rawDeserializers,
      autocommit: false,
      // Long polls return as soon as a record arrives; the wait only bounds idle fetches.
      maxWaitTime: tuning.maxWaitTime,
      minBytes: 1,
      // KIP-848's broker sets the session and the heartbeat itself; the classic protocol asks for them.
      ...(tuning.groupProtocol === 'consumer'
        ? { groupProtocol: 'consumer' as const }
        : { sessionTimeout: this.#sessionTimeout, heartbeatInterval: tuning.heartbeatInterval, rebalanceTimeout: Math.max(this.#sessionTimeout, minRebalanceTimeoutMs) }),
    })
    this.#consumer = consumer
    const classic = tuning.groupProtocol !== 'consumer'
    const gate = new CommitGate(classic ? () => consumer.generationId : () => undefined)
    this.#gate = gate
    // KIP-848's members never join on their own (the broker assigns), so only the classic
    // protocol's news of a rebalance shuts the gate until the next join.
    if (classic) {
      consumer.on('consumer:group:rebalance', () => {
        gate.rebalancing()
      })
    }
    consumer.on('consumer:group:join', (joined: { generationId?: number }) => {
      gate.joined(classic ? joined.generationId : undefined)
    })
    // The library emits 'error' when a rejoin after a lost coordinator fails: without a listener
    // that would crash the process; with one, it is the signal to start over.
    consumer.on('error', (error: unknown) => {
      this.#membershipFailed(consumer, error, 'rejoining the group')
    })
    consumer.on('consumer:heartbeat:stalled', (payload: { lastError?: unknown }) => {
      this.#membershipFailed(consumer, payload.lastError ?? new Error('heartbeats stalled'), 'heartbeating')
    })
    await this.#consume(consumer)
  }

  /**
   * Starts a consume stream on `consumer`. A consumer whose stream died is still a member of the
   * group (the library keeps heartbeating); a new stream on it rejoins under the same member id,
   * so the group does not wait for a lost member to expire as it would for a new consumer.
   */
  async #consume(consumer: RawConsumer): Promise<void> {
    const topics = [...this.#options.topics]
    // One fetch goes to each broker leading a partition of ours at once: together they bring at
    // most a quarter of the bound (the client's default is 50 MB per fetch).
    const { brokers } = await consumer.metadata({ topics })
    const { fetchBytes } = bufferBudget(this.#maxBufferedBytes, brokers.size)
    const stream: RawStream = await consumer.consume({ topics, mode: 'committed', fallbackMode: this.#options.startFrom, autocommit: false, maxBytes: fetchBytes, maxBytesPerPartition: fetchBytes })
    this.#stream = stream
    if (this.#stopped()) return
    stream.on('error', (error: unknown) => {
      this.#failed(consumer, error, 'fetching')
    })
    stream.on('close', () => {
      this.#failed(consumer, new Error('the consume stream closed'), 'fetching')
    })
    stream.on('data', (raw: RawMessage) => {
      this.#receive(stream, raw)
    })
  }

  #receive(stream: RawStream, raw: RawMessage): void {
    // A fetch that was in flight when a rebalance took the partition away still delivers, and after
    // a recovery the new consumer re-reads from the last commit: handling either again here would
    // run records twice and break per-key order.
    if (!this.#ownership.admit(raw.topic, raw.partition, raw.offset)) return
    this.#dispatcher.take(toIncoming(raw))
    this.#backpressure.check(stream)
  }

  /**
   * A failure of the current consumer's group membership: noted even while a recovery is under
   * way — which then replaces the consumer rather than give it a new stream — and otherwise a
   * failure like any other.
   */
  #membershipFailed(consumer: RawConsumer, error: unknown, doing: string): void {
    if (consumer === this.#consumer) this.#membershipLost = true
    this.#failed(consumer, error, doing)
  }

  /** A failure of the current consumer starts one recovery; failures of replaced ones are ignored. */
  #failed(consumer: RawConsumer, error: unknown, doing: string): void {
    if (consumer !== this.#consumer || this.#stop.signal.aborted) return
    if (!this.#tracker.failed(asTransportError(error, `${doing} for group ${this.#options.group}`, { group: this.#options.group, topics: this.#options.topics, principal: this.#connection.principal }))) return
    this.#recovery = this.#recover()
  }

  /**
   * Re-establishes consumption: first with a new stream on the same consumer (fresh metadata, same
   * group membership) while that membership holds; after two failed tries, or once the membership
   * is lost ({@link #membershipLost}) — before or during the try — with a new consumer, retiring
   * the old one in the background (its LeaveGroup may wait for a new coordinator).
   */
  async #recover(): Promise<void> {
    for (let attempt = 0; !this.#stopped(); attempt++) {
      await backoff(attempt, this.#stop.signal, 250, 5_000)
      if (this.#stopped()) return
      try {
        const consumer = this.#consumer
        // A consumer that has stopped heartbeating (isActive() is false) is no member to go on with.
        const reused = consumer !== undefined && attempt < 2 && !this.#membershipLost && consumer.isActive()
        if (reused) {
          const stream = this.#stream
          this.#stream = undefined
          stream?.removeAllListeners('data').removeAllListeners('close')
          if (stream !== undefined && !stream.destroyed) await stream.close().catch(() => undefined)
          consumer.clearMetadata()
          await this.#consume(consumer)
        } else {
          this.#retireInBackground()
          await this.#connect()
        }
        if (this.#stopped()) return
        // The membership failed while the stream was being replaced: that consumer is done for.
        if (reused && this.#membershipLost) continue
        this.#tracker.consuming()
        this.#recovery = undefined
        return
      } catch (error) {
        this.#tracker.failed(asTransportError(error, `re-joining group ${this.#options.group}`, { group: this.#options.group, topics: this.#options.topics, principal: this.#connection.principal }))
      }
    }
  }

  /** close() may run while a recovery awaits: read the flag afresh. */
  #stopped(): boolean {
    return (this.#stop.signal as { readonly aborted: boolean }).aborted
  }

  /** Replaces the current consumer without waiting: its LeaveGroup may wait for a new coordinator. */
  #retireInBackground(): void {
    const retiring = this.#retire()
    this.#retiring.add(retiring)
    void retiring.finally(() => this.#retiring.delete(retiring))
  }

  /** Closes the current stream and consumer, leaving the group if the coordinator answers in time. */
  async #retire(): Promise<void> {
    const consumer = this.#consumer
    const stream = this.#stream
    this.#consumer = undefined
    this.#stream = undefined
    if (consumer === undefined) return
    stream?.removeAllListeners('data')
    stream?.removeAllListeners('close')
    await closeWithin(consumer, stream, teardownMs)
  }
}
