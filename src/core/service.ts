import { type ChannelHealth, type HealthReport, summarizeHealth } from './channel-health.ts'
import { Client, type ClientOptions } from './client.ts'
import type { AnyContract, EventContract, GatherContract, RouteContract, StreamContract } from './contracts.ts'
import type { EventHandler, HandlerFor } from './handler-types.ts'
import { isKafkaIpcError, KafkaIpcError } from './kafka-ipc-error.ts'
import { type ErrorListener, logFailures, recordContext } from './failure.ts'
import { logChannelState } from './logger.ts'
import { checkBodySize, checkKind } from './protocol/record-checks.ts'
import { ReplyTargets } from './protocol/reply-targets.ts'
import { RecentIds } from './recent-ids.ts'
import { type Registered, respond, type ResponderCounters, type ResponderDeps } from './responder.ts'
import { Router } from './router.ts'
import { topicNames } from './protocol/topic-names.ts'
import { validate } from './schema.ts'
import type { IncomingMessage, Subscription, TopicPartition, TopicSpec } from './transport.ts'
import { type Envelope, readEnvelope } from './protocol/envelope.ts'
import { userHeaders } from './protocol/headers.ts'

/** How to build a service: a client's options (a service calls others too). */
export type ServiceOptions = ClientOptions

/** Counters for monitoring. */
export interface ServiceStats extends ResponderCounters {
  readonly eventsHandled: number
  readonly eventsFailed: number
  /** Requests and events not run again because their record was a copy of one already consumed. */
  readonly duplicates: number
  readonly running: number
}

/**
 * A service: handles its routes and streams, answers gathers, subscribes to events — and, being a
 * client too, calls other services. Instances of one service form one consumer group and share
 * the work; start as many as there are partitions.
 *
 * @example
 * ```ts
 * const app = createService({ name: 'pricing' })
 * app.handle(quote, async (req) => ({ price: 120 }))
 * app.on(booked, async (event) => console.log('booked', event.body.id))
 * await app.listen()
 * ```
 */
export class Service {
  readonly client: Client
  readonly #router = new Router<Registered>()
  readonly #gathers = new Map<string, Registered>()
  readonly #events = new Map<string, { contract: EventContract; handler: EventHandler<EventContract> }>()
  readonly #subscriptions: Subscription[] = []
  readonly #shutdown = new AbortController()
  readonly #counters: ResponderCounters = { handled: 0, failed: 0, expired: 0, rejectedReplyTargets: 0, malformed: 0, cancelled: 0, undeliverable: 0 }
  readonly #serviceCounters = { eventsHandled: 0, eventsFailed: 0, duplicates: 0 }
  readonly #recentIds: RecentIds
  readonly #options: ServiceOptions
  readonly #onError: ErrorListener
  /** `starting` while listen() runs; `listening` once every subscription consumes. */
  #state: 'new' | 'starting' | 'listening' | 'closed' = 'new'

  constructor(options: ServiceOptions) {
    this.#options = options
    this.client = new Client({ ...options, ownsTransport: false })
    this.#onError = options.onError ?? logFailures(this.client.logger)
    this.#recentIds = new RecentIds(this.client.policy.deduplicationWindow)
  }

  get name(): string {
    return this.client.name
  }

  /**
   * Registers the handler of a route (its return value is the reply), a stream (an async
   * generator) or a gather (its return value is this service's answer).
   */
  handle<C extends RouteContract | StreamContract | GatherContract>(contract: C, handler: HandlerFor<C>): this {
    this.#assertNew(contract)
    const registered = { kind: contract.kind, contract, handler } as Registered
    if (contract.kind === 'gather') {
      if (this.#gathers.has(contract.name)) throw duplicate(`gather ${contract.name}`)
      this.#gathers.set(contract.name, registered)
      return this
    }
    if (contract.service !== this.name) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${contract.method} ${contract.path} belongs to service ${contract.service}; this service is ${this.name}.`)
    }
    if (this.#router.has(contract.method, contract.path)) throw duplicate(`${contract.method} ${contract.path}`)
    this.#router.add(contract.method, contract.path, registered)
    return this
  }

  /** Subscribes to an event: every instance group of this service receives each event once. */
  on<C extends EventContract>(contract: C, handler: EventHandler<C>): this {
    this.#assertNew(contract)
    if (this.#events.has(contract.name)) throw duplicate(`event ${contract.name}`)
    this.#events.set(contract.name, { contract, handler: handler })
    return this
  }

  /**
   * Creates the topics the policy calls for, opens the inbox, and joins the consumer groups.
   * Resolves once consuming has started: a request sent after this is answered.
   */
  async listen(): Promise<void> {
    if (this.#state !== 'new') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${this.name} is already ${this.#state}.`)
    this.#state = 'starting'
    const { policy } = this.client
    const transport = this.#options.transport
    const requestTopics = [...(this.#hasRoutes() ? [topicNames.requests(policy, this.name)] : []), ...[...this.#gathers.keys()].map((name) => topicNames.gather(policy, name))]
    const eventTopics = [...this.#events.keys()].map((name) => topicNames.event(policy, name))
    const spec = (name: string, retentionMs: number): TopicSpec => ({ name, partitions: policy.partitions, replication: policy.replication, retentionMs })
    await transport.ensureTopics([...requestTopics.map((name) => spec(name, policy.retentionMs.requests)), ...eventTopics.map((name) => spec(name, policy.retentionMs.events))], policy.autoCreateTopics)
    await this.client.ready()
    this.#assertListening()
    const replyTargets = new ReplyTargets(policy, (topic) => transport.partitionCount(topic))
    const deps: ResponderDeps = { service: this.name, policy, transport, client: this.client, counters: this.#counters, onError: this.#onError, running: this.client.running, replyTargets, shutdown: this.#shutdown.signal }
    if (requestTopics.length > 0) {
      await this.#keep(
        transport.subscribe({
          group: topicNames.group(policy, this.name),
          topics: requestTopics,
          startFrom: 'earliest',
          maxInFlight: policy.maxInFlight,
          onMessage: (message) => this.#onRequest(deps, message),
          onError: this.#onChannelError(topicNames.group(policy, this.name)),
          onState: this.#logState,
        }),
      )
    }
    if (eventTopics.length > 0) {
      await this.#keep(
        transport.subscribe({
          group: topicNames.eventGroup(policy, this.name),
          topics: eventTopics,
          startFrom: policy.eventsStartFrom,
          maxInFlight: policy.maxInFlight,
          onMessage: (message) => this.#onEvent(message),
          onError: this.#onChannelError(topicNames.eventGroup(policy, this.name)),
          onState: this.#logState,
        }),
      )
    }
    this.#state = 'listening'
  }

  /** Keeps a new subscription, or closes it at once when close() ran while it was being opened. */
  async #keep(opening: Promise<Subscription>): Promise<void> {
    const subscription = await opening
    if (this.#state === 'closed') {
      await subscription.close()
      this.#assertListening()
    }
    this.#subscriptions.push(subscription)
  }

  #assertListening(): void {
    if (this.#state === 'closed') throw new KafkaIpcError('KIPC_UNAVAILABLE', `${this.name} was closed while it was starting.`)
  }

  /**
   * Graceful shutdown: leaves the consumer groups after the records in flight finish (so their
   * offsets are committed), then aborts what still runs and closes the inbox.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    await Promise.all(this.#subscriptions.splice(0).map((subscription) => subscription.close()))
    this.#shutdown.abort()
    await this.client.close()
    if (this.#options.ownsTransport === true) await this.#options.transport.close()
  }

  /**
   * The partitions this instance holds across its subscriptions. Empty while its groups
   * rebalance; a readiness probe can require it to be non-empty.
   */
  assignments(): TopicPartition[] {
    return this.#subscriptions.flatMap((subscription) => subscription.assignments())
  }

  /**
   * Where each of this service's channels stands — its consumer group subscriptions and its
   * inbox: `ok` when all consume, `recovering` while any re-establishes itself after a broker
   * failure (with since when and why), `starting` during listen(), `closed` after close().
   *
   * @example
   * ```ts
   * const report = app.health()
   * if (report.status === 'recovering') console.warn(report.channels.filter((channel) => channel.state === 'recovering'))
   * ```
   */
  health(): HealthReport {
    const channels: ChannelHealth[] = [...this.#subscriptions.map((subscription) => subscription.health()), ...this.client.health().channels]
    if (this.#state === 'new' || this.#state === 'starting') return { status: 'starting', channels }
    return summarizeHealth(this.#state === 'closed', channels)
  }

  readonly #logState = (health: ChannelHealth): void => {
    logChannelState(this.client.logger, this.name, health)
  }

  /** Counters for monitoring. */
  stats(): ServiceStats {
    return { ...this.#counters, ...this.#serviceCounters, running: this.client.running.size }
  }

  /** Calls another service's route (see {@link Client.call}). */
  get call(): Client['call'] {
    return this.client.call.bind(this.client)
  }

  /** Opens a stream from another service (see {@link Client.stream}). */
  get stream(): Client['stream'] {
    return this.client.stream.bind(this.client)
  }

  /** Publishes an event (see {@link Client.emit}). */
  get emit(): Client['emit'] {
    return this.client.emit.bind(this.client)
  }

  /** Asks every service answering a gather (see {@link Client.gather}). */
  get gather(): Client['gather'] {
    return this.client.gather.bind(this.client)
  }

  async #onRequest(deps: ResponderDeps, message: IncomingMessage): Promise<void> {
    let envelope
    try {
      envelope = readEnvelope(message.headers)
    } catch (error) {
      this.#counters.malformed++
      this.#onError(error, { kind: 'message-dropped', service: this.name, ...recordContext(message) })
      return
    }
    try {
      checkKind('requests', envelope, message.topic)
    } catch (error) {
      this.#counters.malformed++
      this.#onError(error, { kind: 'message-dropped', service: this.name, ...recordContext(message, envelope) })
      return
    }
    if (this.#isCopy(message, envelope.id)) return
    const topic = topicNames.parse(this.client.policy, message.topic)
    const gathered = topic?.kind === 'gather' ? this.#gathers.get(topic.name) : undefined
    const routed = gathered === undefined ? this.#router.match(envelope.method ?? '', envelope.path ?? '') : undefined
    const found = gathered !== undefined ? { registered: gathered, params: {} } : routed === undefined ? undefined : { registered: routed.value, params: routed.params }
    await respond(deps, envelope, message, found)
  }

  async #onEvent(message: IncomingMessage): Promise<void> {
    const { policy } = this.client
    const topic = topicNames.parse(policy, message.topic)
    const name = topic?.kind === 'event' ? topic.name : message.topic
    const subscription = this.#events.get(name)
    let envelope: Envelope | undefined
    try {
      envelope = readEnvelope(message.headers)
      checkKind('events', envelope, message.topic)
      if (subscription === undefined) throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', `No subscription to the event topic ${message.topic}.`)
      if (this.#isCopy(message, envelope.id)) return
      checkBodySize(message.value.byteLength, policy.maxMessageBytes, `Event ${name}`)
      const body = await validate(subscription.contract.body, policy.codec.decode(message.value), 'KIPC_BAD_REQUEST', `event ${name}`)
      await subscription.handler(
        { id: envelope.id, name, headers: userHeaders(message.headers), body, key: message.key, source: envelope.service },
        { signal: this.#shutdown.signal, topic: message.topic, partition: message.partition, offset: message.offset },
      )
      this.#serviceCounters.eventsHandled++
    } catch (error) {
      this.#serviceCounters.eventsFailed++
      const dropped = isKafkaIpcError(error) && (error.code === 'KIPC_PROTOCOL_ERROR' || error.code === 'KIPC_PAYLOAD_TOO_LARGE')
      this.#onError(error, {
        kind: dropped ? 'message-dropped' : 'handler-failed',
        service: this.name,
        target: name,
        ...recordContext(message, envelope),
      })
    }
  }

  /** Failures of a consumer group subscription: it re-establishes itself; health() shows it. */
  #onChannelError(group: string): (error: unknown) => void {
    return (error) => {
      this.#onError(error, { kind: 'transport', service: this.name, target: `group ${group}` })
    }
  }

  /** A record already consumed from this partition, stored twice by the broker: counted, not run. */
  #isCopy(message: IncomingMessage, id: string): boolean {
    if (!this.#recentIds.isRepeat(message.topic, message.partition, id)) return false
    this.#serviceCounters.duplicates++
    return true
  }

  #hasRoutes(): boolean {
    return this.#router.size > 0
  }

  #assertNew(contract: AnyContract): void {
    if (this.#state !== 'new') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Register ${contract.kind} handlers before listen().`)
  }
}

function duplicate(what: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A handler for ${what} is already registered.`)
}
