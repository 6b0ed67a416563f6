import { type ChannelHealth, type HealthReport, summarizeHealth } from './channel-health.ts'
import { Client } from './client.ts'
import type { ConsumerLag, ServiceOptions, ServicePlugin, ServiceStats } from './service-options.ts'
import type { AnyContract, EventContract, GatherContract, RouteContract, StreamContract } from './contracts.ts'
import type { EventHandler, HandlerFor } from './handler-types.ts'
import { DecorationTable, type DecorationValue, type DecorationValues } from './decorations.ts'
import { KafkaIpcError } from './kafka-ipc-error.ts'
import { type ErrorListener, logFailures } from './failure.ts'
import { logChannelState } from './logger.ts'
import { withMessageLog } from './message-log.ts'
import { handleEvent, type Subscribed } from './pipeline/event-pipeline.ts'
import { applyPlugin, type Hook, HookRegistry } from './pipeline/hooks.ts'
import { type ClientHooks, type ClientPhase, clientPhases, isClientPhase, isServicePhase, type ServiceHooks, type ServicePhase, servicePhases } from './pipeline/phases.ts'
import { handleRequest } from './pipeline/request-pipeline.ts'
import { type FetchHandler, type Registered, RouteMatch, type Routed, type ServiceCounters, type ServicePipelineDeps } from './pipeline/service-pipeline.ts'
import type { Envelope } from './protocol/envelope.ts'
import { ReplyTargets } from './protocol/reply-targets.ts'
import { topicNames } from './protocol/topic-names.ts'
import { RecentIds } from './recent-ids.ts'
import type { DeduplicationStore } from './deduplication-store.ts'
import { memoryDeduplicationStore } from './memory-deduplication-store.ts'
import { Router } from './router.ts'
import { ClaimRenewals } from './pipeline/claim-renewals.ts'
import type { SubscribeOptions, Subscription, TopicPartition, TopicSpec } from './transport.ts'

export type { ConsumerLag, ServiceOptions, ServicePlugin, ServiceStats } from './service-options.ts'

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
  #mounted: Registered | undefined
  readonly #events = new Map<string, Subscribed>()
  readonly #subscriptions: Subscription[] = []
  /** Each subscription's consumer group, for lag(). */
  readonly #groups = new Map<Subscription, string>()
  readonly #shutdown = new AbortController()
  /** Aborted when close() starts; #shutdown only once the in-flight handlers are done. */
  readonly #stopping = new AbortController()
  readonly #counters: ServiceCounters = { handled: 0, failed: 0, expired: 0, rejectedReplyTargets: 0, malformed: 0, cancelled: 0, undeliverable: 0, eventsHandled: 0, eventsFailed: 0, duplicates: 0, eventsRetried: 0, deadLettered: 0 }
  readonly #hooks: HookRegistry<ServiceHooks>
  readonly #decorations: DecorationTable
  /** Where runs are remembered; undefined when turned off, leaving {@link #recentIds}. */
  readonly #deduplication: DeduplicationStore | undefined
  readonly #recentIds: RecentIds
  readonly #options: ServiceOptions
  readonly #onError: ErrorListener
  /** `starting` while listen() runs; `listening` once every subscription consumes. */
  #state: 'new' | 'starting' | 'listening' | 'closed' = 'new'

  constructor(options: ServiceOptions) {
    this.#options = options
    this.client = new Client({ ...options, ownsTransport: false })
    this.#onError = options.onError ?? logFailures(this.client.logs.failures)
    this.#deduplication = options.deduplication === false ? undefined : (options.deduplication ?? memoryDeduplicationStore())
    // Without a store, copies of one record in one partition are still dropped; a store sees them itself.
    this.#recentIds = new RecentIds(this.#deduplication === undefined ? this.client.policy.deduplicationWindow : 0)
    this.#hooks = new HookRegistry<ServiceHooks>(this.client.name)
    this.#decorations = new DecorationTable(this.client.name)
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

  /**
   * Mounts a fetch-style app: every request no typed route of this service matches goes to
   * `handler` as a Web `Request` (URL `kafka://<service><path>?<query>`), and the `Response` it
   * returns is the answer — status, headers and body; a body that keeps coming is streamed. A Hono
   * app's `fetch` mounts as it is; Fastify, Express and `node:http` apps through the adapters of
   * `kafka-ipc/adapters`. One mount per service.
   *
   * @example
   * ```ts
   * import { Hono } from 'hono'
   * const api = new Hono().get('/quotes/:id', (c) => c.json({ id: c.req.param('id') }))
   * createService({ name: 'pricing' }).mount(api.fetch)
   * ```
   */
  mount(handler: FetchHandler): this {
    if (this.#state !== 'new') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Mount apps on ${this.name} before listen().`)
    if (typeof handler !== 'function') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', 'mount() takes a function (request: Request) => Response, such as a Hono app\'s fetch.')
    if (this.#mounted !== undefined) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${this.name} already has a mounted app.`)
    this.#mounted = { kind: 'fetch', handler }
    return this
  }

  /**
   * Adds a hook at a phase of the pipeline (docs/lifecycle.md), run in registration order, awaited.
   * Service phases (`onReceive`, `preHandler`, `onSend`, `onResponse`, `onError`, `onTimeout`,
   * `onCancel`, `onDrop`) run for every record this service consumes; client phases (`beforeSend`,
   * `onAnswer`, `onCallError`) for the calls it makes, as on its {@link Client}. A KafkaIpcError
   * thrown in `onReceive` or `preHandler` is the caller's answer, with its code and status.
   *
   * @example
   * ```ts
   * app.addHook('preHandler', ({ headers, state }) => {
   *   if (headers['authorization'] !== 'Bearer secret') throw new KafkaIpcError('UNAUTHORIZED', 'Who are you?', { status: 401 })
   *   state['user'] = 'alice'
   * })
   * ```
   */
  addHook<P extends ServicePhase | ClientPhase>(phase: P, hook: Hook<(ServiceHooks & ClientHooks)[P]>): this {
    if (isClientPhase(phase)) {
      this.client.addHook(phase, hook as Hook<ClientHooks[typeof phase]>)
      return this
    }
    if (!isServicePhase(phase)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Unknown hook phase ${JSON.stringify(phase)}; the phases are ${[...servicePhases, ...clientPhases].join(', ')}.`)
    if (this.#state !== 'new') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Add ${phase} hooks before listen().`)
    this.#hooks.add(phase, hook as Hook<ServiceHooks[typeof phase]>)
    return this
  }

  /**
   * Adds what every handler of this service reads as `context.decorations[name]` — a database
   * pool, a configuration — once per name, before listen(). Type it by augmenting
   * `Decorations`.
   *
   * @example
   * ```ts
   * app.decorate('db', pool)
   * app.handle(quote, (request, context) => context.decorations.db.price(request.body))
   * ```
   */
  decorate<Name extends string>(name: Name, value: DecorationValue<Name>): this {
    if (this.#state !== 'new') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Decorate ${this.name} before listen().`)
    this.#decorations.set(name, value)
    return this
  }

  /** What this service carries for its handlers (see {@link decorate}). */
  get decorations(): DecorationValues {
    return this.#decorations.values
  }

  /** Runs a plugin on this service now: its hooks, handlers and subscriptions are registered as one unit (see {@link ServicePlugin}). */
  register<Options>(plugin: ServicePlugin<Options>, ...[options]: undefined extends Options ? [options?: Options] : [options: Options]): this {
    applyPlugin<Service, Options>(this, plugin, options as Options)
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
    const startedAt = performance.now()
    const { policy } = this.client
    const transport = this.#options.transport
    // Handlers by the topic their records come from: a record is routed by a map lookup, no name parsed.
    const gathersByTopic = new Map([...this.#gathers].map(([name, registered]) => [topicNames.gather(policy, name), registered]))
    const eventsByTopic = new Map([...this.#events].map(([name, subscription]) => [topicNames.event(policy, name), subscription]))
    const requestTopics = [...(this.#hasRoutes() ? [topicNames.requests(policy, this.name)] : []), ...gathersByTopic.keys()]
    const eventTopics = [...eventsByTopic.keys()]
    const spec = (name: string, retentionMs: number): TopicSpec => ({ name, partitions: policy.partitions, replication: policy.replication, retentionMs })
    // A service with event subscriptions has a dead-letter topic for the events it cannot handle.
    const deadLetterTopics = eventTopics.length > 0 ? [topicNames.deadLetters(policy, this.name)] : []
    await transport.ensureTopics(
      [...requestTopics.map((name) => spec(name, policy.retentionMs.requests)), ...eventTopics.map((name) => spec(name, policy.retentionMs.events)), ...deadLetterTopics.map((name) => spec(name, policy.retentionMs.deadLetters))],
      policy.autoCreateTopics,
    )
    await this.client.ready()
    this.#assertListening()
    const deps: ServicePipelineDeps = {
      service: this.name,
      policy,
      groups: { requests: topicNames.group(policy, this.name), events: topicNames.eventGroup(policy, this.name) },
      transport,
      inboxAddress: () => this.client.address,
      counters: this.#counters,
      onError: this.#onError,
      hooks: this.#hooks,
      running: this.client.running,
      replyTargets: new ReplyTargets(policy, (topic) => transport.partitionCount(topic)),
      isCopy: (message, id) => this.#recentIds.isRepeat(message.topic, message.partition, id),
      deduplication: this.#deduplication,
      claimRenewals: new ClaimRenewals(),
      shutdown: this.#shutdown.signal,
      stopping: this.#stopping.signal,
      decorations: this.#decorations.values,
      tracer: withMessageLog(this.#options.tracing?.({ name: this.name, instanceId: this.client.instanceId }), this.client.logs.messages, this.name, policy),
    }
    const route = (topic: string, envelope: Envelope): Routed | undefined => this.#route(gathersByTopic.get(topic), envelope)
    const subscribed = (topic: string): Subscribed | undefined => eventsByTopic.get(topic)
    if (requestTopics.length > 0) await this.#subscribe(topicNames.group(policy, this.name), requestTopics, 'earliest', (message) => handleRequest(deps, message, route))
    if (eventTopics.length > 0) await this.#subscribe(topicNames.eventGroup(policy, this.name), eventTopics, policy.eventsStartFrom, (message) => handleEvent(deps, message, subscribed))
    this.#state = 'listening'
    const durationMs = Math.round(performance.now() - startedAt)
    this.client.logs.lifecycle.info({ service: this.name, instanceId: this.client.instanceId, topics: [...requestTopics, ...eventTopics], durationMs }, `${this.name}: listening (${String(durationMs)} ms)`)
  }

  /** Joins `group` on `topics`, its records handled by `onMessage`, and keeps the subscription ({@link #keep}). */
  async #subscribe(group: string, topics: string[], startFrom: SubscribeOptions['startFrom'], onMessage: SubscribeOptions['onMessage']): Promise<void> {
    const { policy } = this.client
    const opening = this.#options.transport.subscribe({ group, topics, startFrom, maxInFlight: policy.maxInFlight, maxBufferedBytes: policy.maxBufferedBytes, onMessage, onError: this.#onChannelError(group), onState: this.#logState })
    await this.#keep(group, opening)
  }

  /** Keeps a new subscription, or closes it at once when close() ran while it was being opened. */
  async #keep(group: string, opening: Promise<Subscription>): Promise<void> {
    const subscription = await opening
    if (this.#state === 'closed') {
      await subscription.close()
      this.#assertListening()
    }
    this.#subscriptions.push(subscription)
    this.#groups.set(subscription, group)
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
    const wasListening = this.#state === 'listening'
    this.#state = 'closed'
    const startedAt = performance.now()
    this.#stopping.abort()
    await Promise.all(this.#subscriptions.splice(0).map((subscription) => subscription.close()))
    this.#shutdown.abort()
    // What still runs now is aborted: its handler sees KIPC_UNAVAILABLE on its signal.
    this.client.running.abortAll(new KafkaIpcError('KIPC_UNAVAILABLE', `${this.name} is shutting down.`))
    await this.client.close()
    if (this.#options.ownsTransport === true) await this.#options.transport.close()
    if (!wasListening) return
    const durationMs = Math.round(performance.now() - startedAt)
    this.client.logs.lifecycle.info({ service: this.name, instanceId: this.client.instanceId, durationMs }, `${this.name}: closed (${String(durationMs)} ms)`)
  }

  /**
   * The partitions this instance holds across its subscriptions. Empty while its groups
   * rebalance; a readiness probe can require it to be non-empty.
   */
  assignments(): TopicPartition[] {
    return this.#subscriptions.flatMap((subscription) => subscription.assignments())
  }

  /**
   * How far this instance's consumer groups are behind on the partitions it holds now, asked of
   * the broker: per partition, the log's end offset minus the group's committed offset — records
   * waiting, running, or done and not yet committed. Empty before listen() and after close();
   * rejects with the transport's error when the broker does not answer. The Prometheus metrics
   * read it at each scrape (`kafka_ipc_consumer_lag`).
   *
   * @example
   * ```ts
   * const waiting = (await app.lag()).reduce((sum, { lag }) => sum + lag, 0)
   * if (waiting > 10_000) console.warn(`${app.name} is ${waiting} records behind`)
   * ```
   */
  async lag(): Promise<ConsumerLag[]> {
    const lags = await Promise.all(this.#subscriptions.map(async (subscription) => (await subscription.lag()).map((lag): ConsumerLag => ({ group: this.#groups.get(subscription) ?? '', ...lag }))))
    return lags.flat()
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
    logChannelState(this.client.logs.connection, this.name, health)
  }

  /** Counters for monitoring. */
  stats(): ServiceStats {
    return { ...this.#counters, running: this.client.running.size }
  }

  /** Calls another service's route (see {@link Client.call}). */
  get call(): Client['call'] {
    return this.client.call.bind(this.client)
  }

  /** Calls another service's route for the whole reply: status, headers, body (see {@link Client.request}). */
  get request(): Client['request'] {
    return this.client.request.bind(this.client)
  }

  /** `fetch()` over Kafka to another service (see {@link Client.fetch}). */
  get fetch(): Client['fetch'] {
    return this.client.fetch.bind(this.client)
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

  /** Failures of a consumer group subscription: it re-establishes itself; health() shows it. */
  #onChannelError(group: string): (error: unknown) => void {
    return (error) => {
      this.#onError(error, { kind: 'transport', service: this.name, target: `group ${group}` })
    }
  }

  /** A request's handler: the gather of its topic, else the route matching its method and path. */
  #route(gathered: Registered | undefined, envelope: Envelope): Routed | undefined {
    if (gathered !== undefined) return new RouteMatch(gathered, {})
    const method = envelope.method ?? ''
    const path = envelope.path ?? ''
    // HEAD is GET without the body (RFC 9110 §9.3.2) unless a route declares HEAD itself — for a
    // request-reply route; a stream would have to be produced to be thrown away.
    const routed = this.#router.match(method, path) ?? (method === 'HEAD' ? this.#getRouteFor(path) : undefined)
    if (routed !== undefined) return new RouteMatch(routed.value, routed.params)
    return this.#mounted === undefined ? undefined : new RouteMatch(this.#mounted, {})
  }

  #getRouteFor(path: string): ReturnType<Router<Registered>['match']> {
    const routed = this.#router.match('GET', path)
    return routed?.value.kind === 'route' ? routed : undefined
  }

  #hasRoutes(): boolean {
    return this.#router.size > 0 || this.#mounted !== undefined
  }

  #assertNew(contract: AnyContract): void {
    if (this.#state !== 'new') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Register ${contract.kind} handlers before listen().`)
  }
}

function duplicate(what: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A handler for ${what} is already registered.`)
}
