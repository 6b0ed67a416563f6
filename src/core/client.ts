import { withRetries } from './call-retries.ts'
import type { ClientOptions, ClientPlugin, ClientStats } from './client-options.ts'
import type { ArgsTuple, CallArgs, CallResponse, EmitArgs, GatherArgs, GatherResult, RequestArgs } from './call-types.ts'
import { checkServiceName, type EventContract, type GatherContract, type RouteContract, type StreamContract } from './contracts.ts'
import { type HealthReport, summarizeHealth } from './channel-health.ts'
import { isKafkaIpcError, KafkaIpcError } from './kafka-ipc-error.ts'
import { ConsumerWatch } from './consumer-watch.ts'
import { DeadlineLists } from './deadline-lists.ts'
import { KnownTopics } from './known-topics.ts'
import { type ErrorListener, logFailures } from './failure.ts'
import { logChannelState, type Logger, stderrLogger } from './logger.ts'
import { type LogConcerns, logConcerns } from './log-concerns.ts'
import { withMessageLog } from './message-log.ts'
import type { CallTrace, EmitTrace } from './trace-contexts.ts'
import { channels, traced } from './tracing.ts'
import { AnswerInbox } from './answer-inbox.ts'
import { InboxHeartbeat } from './inbox-heartbeat.ts'
import { InboxSweep } from './inbox-sweep.ts'
import { PendingCalls } from './pending-calls.ts'
import { type ExchangeDeps, exchangeTarget } from './pipeline/exchange.ts'
import { collectGather } from './pipeline/gather-collector.ts'
import { openStream, type StreamDeps } from './pipeline/stream-call.ts'
import { callRoute, type RouteCallDeps } from './pipeline/route-call.ts'
import { emitEvent, type EmitDeps } from './pipeline/emit-event.ts'
import { fetchOverKafka, type KafkaFetchInit } from './pipeline/fetch-call.ts'
import { applyPlugin, type Hook, HookRegistry } from './pipeline/hooks.ts'
import { type ClientHooks, type ClientPhase, clientPhases, type ExchangeKind, isClientPhase } from './pipeline/phases.ts'
import { defaultPolicy, type Policy } from './policy.ts'
import { ContractTopics, topicNames } from './protocol/topic-names.ts'
import type { RemoteStream } from './remote-stream.ts'
import { RunningRequests } from './running-requests.ts'
import type { InferOut } from './schema.ts'
import { type Inbox, type OutgoingMessage, type SendOptions, sendAndTell, sendOptionsOf, type Transport, oneRecord } from './transport.ts'

export type { ClientOptions, ClientPlugin, ClientStats } from './client-options.ts'

/**
 * Calls other services: request-reply (`call`), streams (`stream`), events (`emit`) and gathers
 * (`gather`). Answers come to this instance's private inbox, read without a consumer group, so a
 * rebalance can never send them elsewhere; the inbox is positioned before the first request goes.
 *
 * @example
 * ```ts
 * const client = createClient({ name: 'booking' })
 * const { price } = await client.call(quote, { body: { from: 'WAW', to: 'JFK' }, timeout: 2_000 })
 * for await (const fare of client.stream(search, { body: { from: 'WAW' } })) console.log(fare)
 * await client.emit(booked, { id: 'B1' })
 * ```
 */
export class Client {
  readonly name: string
  readonly instanceId: string
  readonly policy: Policy
  readonly #transport: Transport
  readonly #pending = new PendingCalls()
  readonly #topics: KnownTopics
  readonly #contractTopics: ContractTopics
  readonly #consumers: ConsumerWatch
  readonly #onError: ErrorListener
  readonly logger: Logger
  /** The logger of each concern, over {@link logger}, at the levels asked for (docs/operations.md#logging). */
  readonly logs: LogConcerns
  readonly #ownsTransport: boolean
  readonly #sendOptions: SendOptions
  #inbox: Inbox | undefined
  #opening: Promise<Inbox> | undefined
  #closed = false
  /**
   * Requests this instance runs as a service — a Service shares its client's inbox — so that a
   * cancel read from the inbox aborts the handler it names.
   */
  readonly running = new RunningRequests()
  readonly #answers: AnswerInbox
  readonly #hooks: HookRegistry<ClientHooks>
  readonly #exchangeDeps: ExchangeDeps
  readonly #streamDeps: StreamDeps
  readonly #routeDeps: RouteCallDeps
  readonly #emitDeps: EmitDeps
  /** This instance's sign of life in its inbox, for the other instances' sweeps. */
  readonly #heartbeat: InboxHeartbeat
  /** Deletes the inboxes of instances gone without closing. */
  readonly #sweep: InboxSweep

  constructor(options: ClientOptions) {
    this.name = checkServiceName(options.name)
    this.instanceId = options.instanceId ?? Math.random().toString(36).slice(2, 10)
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(this.instanceId)) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `instanceId ${JSON.stringify(this.instanceId)} must be 1–64 letters, digits, '_' or '-' (it names the inbox topic).`)
    }
    this.policy = options.policy ?? defaultPolicy
    this.#sendOptions = sendOptionsOf(this.policy)
    this.#transport = options.transport
    this.#topics = new KnownTopics(options.transport, this.policy)
    this.#contractTopics = new ContractTopics(this.policy)
    this.logger = options.logger ?? stderrLogger()
    this.logs = logConcerns(this.logger, options.logLevels)
    this.#onError = options.onError ?? logFailures(this.logs.failures)
    this.#consumers = new ConsumerWatch((service) => this.#transport.groupMembers(topicNames.group(this.policy, service)))
    this.#ownsTransport = options.ownsTransport ?? false
    this.#hooks = new HookRegistry<ClientHooks>(this.name)
    this.#exchangeDeps = {
      client: this.name,
      policy: this.policy,
      pending: this.#pending,
      hooks: this.#hooks,
      consumers: this.#consumers,
      deadlines: new DeadlineLists(),
      prepare: (kind, topic, service) => {
        this.#assertOpen()
        // Every call after the first finds the inbox open and the topic known: nothing to await.
        if (this.#inbox !== undefined && this.#topics.isKnown(topic)) return this.#inbox.address
        return this.#prepare(kind, topic, service)
      },
      // The exchange turns a failure into a typed error itself: no promise wrapped around each send.
      send: (message, timeout) => this.#sendWithin(message, timeout),
      sendAndTell: (message, timeout, receipt) => {
        sendAndTell(this.#transport, oneRecord(message), sendOptionsOf(this.policy, Date.now() + timeout), receipt)
      },
      hookFailed: (error, info) => {
        this.#onError(error, { kind: 'handler-failed', phase: isKafkaIpcError(error) && typeof error.details['phase'] === 'string' ? (error.details['phase'] as ClientPhase) : undefined, service: this.name, target: info.target, route: info.target, messageId: info.id, correlationId: info.id, topic: info.topic })
      },
      tracer: withMessageLog(options.tracing?.({ name: this.name, instanceId: this.instanceId }), this.logs.messages, this.name, this.policy),
    }
    this.#routeDeps = { exchange: this.#exchangeDeps, topics: this.#contractTopics }
    this.#emitDeps = { exchange: this.#exchangeDeps, topics: this.#topics }
    this.#streamDeps = {
      client: this.name,
      policy: this.policy,
      exchange: this.#exchangeDeps,
      sendCancel: (cancel, retryUntil) => {
        this.#transport.send(oneRecord(cancel), retryUntil === undefined ? this.#sendOptions : { ...this.#sendOptions, retryUntil }).catch((error: unknown) => {
          this.#onError(error, { kind: 'transport', service: this.name, topic: cancel.topic })
        })
      },
    }
    const inboxTopic = topicNames.inbox(this.policy, this.name, this.instanceId)
    this.#heartbeat = new InboxHeartbeat(this.#transport, this.policy, this.name, inboxTopic)
    this.#sweep = new InboxSweep({
      transport: this.#transport,
      policy: this.policy,
      ownInbox: inboxTopic,
      connected: () => this.#inbox?.health().state === 'consuming',
      logger: this.logs.lifecycle,
      onError: (error) => {
        this.#onError(error, { kind: 'transport', service: this.name, target: 'inbox sweep' })
      },
    })
    this.#answers = new AnswerInbox({
      policy: this.policy,
      pending: this.#pending,
      running: this.running,
      dropped: (error, context) => {
        this.#onError(error, { kind: 'message-dropped', service: this.name, ...context })
      },
    })
  }

  /** Opens the inbox. Calls do it themselves; await it to pay the cost up front. */
  async ready(): Promise<void> {
    await this.#openInbox()
  }

  /** This instance's inbox address (`topic:partition`), once ready. */
  get address(): string | undefined {
    return this.#inbox?.address
  }

  /**
   * Adds a hook at a client phase (docs/lifecycle.md): `beforeSend` (may add headers or reject),
   * `onAnswer` (each answer), `onCallError` (every failed call, stream or gather). Async, run in
   * registration order.
   *
   * @example
   * ```ts
   * client.addHook('beforeSend', ({ setHeader }) => { setHeader('x-request-source', 'checkout') })
   * ```
   */
  addHook<P extends ClientPhase>(phase: P, hook: Hook<ClientHooks[P]>): this {
    if (!isClientPhase(phase)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Unknown client hook phase ${JSON.stringify(phase)}; the phases are ${clientPhases.join(', ')}.`)
    this.#hooks.add(phase, hook)
    return this
  }

  /** Runs a plugin on this client now: the hooks it adds apply to every call from here on. */
  register<Options>(plugin: ClientPlugin<Options>, ...[options]: undefined extends Options ? [options?: Options] : [options: Options]): this {
    applyPlugin<Client, Options>(this, plugin, options as Options)
    return this
  }

  /**
   * Sends a request and resolves with the reply's body, or rejects with a typed error: the
   * responder's error, or a reply whose status is 400 or more ({@link errorFromHttp}).
   */
  call<C extends RouteContract>(contract: C, ...[callArgs]: ArgsTuple<CallArgs<C>>): Promise<InferOut<C['reply']>> {
    return this.#traceCall(contract, callArgs ?? {}, false) as Promise<InferOut<C['reply']>>
  }

  /**
   * Sends a request and resolves with the whole reply — status, headers and body — whatever its
   * status; rejects only when the responder answers with an error (a thrown error, a failed
   * validation) or no answer comes.
   *
   * @example
   * ```ts
   * const { status, headers, body } = await client.request(createBooking, { body: { seat: '1A' } })
   * if (status === 201) console.log('created at', headers['location'], body.id)
   * ```
   */
  request<C extends RouteContract>(contract: C, ...[callArgs]: ArgsTuple<CallArgs<C>>): Promise<CallResponse<InferOut<C['reply']>>> {
    return this.#traceCall(contract, callArgs ?? {}, true) as Promise<CallResponse<InferOut<C['reply']>>>
  }

  /**
   * `fetch()` over Kafka: `kafka://<service>/<path>?<query>` (or a `Request` with such a URL) to
   * a standard Web `Response`. It reaches typed routes and mounted apps alike; a stream comes back
   * as a streaming body. As with fetch, an error status resolves; it rejects when no answer can
   * come — the deadline (`timeout`, `KIPC_TIMEOUT`), the `signal` (with its reason), shutdown.
   *
   * @example
   * ```ts
   * const response = await client.fetch('kafka://pricing/quotes?to=JFK', { signal: AbortSignal.timeout(2_000) })
   * if (response.ok) console.log(await response.json())
   * ```
   */
  fetch(input: string | URL | Request, init?: KafkaFetchInit): Promise<Response> {
    return fetchOverKafka(this.#streamDeps, input, init)
  }

  #traceCall(contract: RouteContract, args: RequestArgs, full: boolean): Promise<unknown> {
    // Checked here rather than in traced(): an untraced call builds no closures and no target string.
    if (!channels.call.hasSubscribers) return this.#call(contract, args, full, undefined)
    return traced(channels.call, (): CallTrace => ({ client: this.name, kind: 'call', target: exchangeTarget({ service: contract.service, method: contract.method, route: contract.path }), topic: topicNames.requests(this.policy, contract.service) }), (trace) => this.#call(contract, args, full, trace))
  }

  #call(contract: RouteContract, args: RequestArgs, full: boolean, trace: CallTrace | undefined): Promise<unknown> {
    const { retry } = args
    if (retry === undefined) return callRoute(this.#routeDeps, contract, args, full, trace)
    const timeout = args.timeout ?? this.policy.timeoutMs
    return withRetries(contract.method, retry, args.id, timeout, args.signal, (id, attemptTimeout, deadline) => callRoute(this.#routeDeps, contract, { ...args, id, timeout: attemptTimeout, deadline }, full, trace))
  }

  /**
   * Opens a stream: iterate the result to send the request and receive the items in order.
   * `break` (or an aborted signal) tells the responder to stop.
   */
  stream<C extends StreamContract>(contract: C, ...[streamArgs]: ArgsTuple<CallArgs<C>>): RemoteStream<InferOut<C['item']>> {
    return openStream(this.#streamDeps, contract, streamArgs ?? {})
  }

  /** Publishes an event; resolves once the broker has it (acks=all). */
  emit<C extends EventContract>(contract: C, ...[body, options = {}]: EmitArgs<C>): Promise<void> {
    // Not an async function, so that an untraced emit makes one promise, not two: a closed client
    // still fails as a rejection.
    if (this.#closed) return Promise.reject(closedError(this.name))
    const topic = this.#contractTopics.event(contract.name)
    // Checked here rather than in traced(): an untraced emit builds no closures at all.
    if (!channels.emit.hasSubscribers) return emitEvent(this.#emitDeps, contract, body, options, topic, undefined)
    return traced(channels.emit, (): EmitTrace => ({ client: this.name, name: contract.name, topic, key: options.key }), (trace) => emitEvent(this.#emitDeps, contract, body, options, topic, trace))
  }

  /** Asks every service that answers `contract` and collects their answers until `expect` is met or the deadline. */
  async gather<C extends GatherContract>(contract: C, ...[gatherArgs]: ArgsTuple<GatherArgs<C>>): Promise<GatherResult<InferOut<C['reply']>>> {
    const args: GatherArgs<GatherContract> = gatherArgs ?? {}
    const topic = topicNames.gather(this.policy, contract.name)
    const deps = { exchange: this.#exchangeDeps, policy: this.policy, counters: this.#pending.counters }
    if (!channels.call.hasSubscribers) return collectGather(deps, contract, args, topic, undefined)
    return traced(channels.call, (): CallTrace => ({ client: this.name, kind: 'gather', target: `gather ${contract.name}`, topic }), (trace) => collectGather(deps, contract, args, topic, trace))
  }

  /**
   * Where this client's inbox stands: `ok` while it reads, `recovering` while it re-establishes
   * itself after a broker failure, `starting` before the first call or ready().
   *
   * @example
   * ```ts
   * if (client.health().status === 'recovering') console.warn('replies are delayed by a broker failover')
   * ```
   */
  health(): HealthReport {
    return summarizeHealth(this.#closed, this.#inbox === undefined ? [] : [this.#inbox.health()])
  }

  /** Counters for monitoring. */
  stats(): ClientStats {
    return { pending: this.#pending.size, ...this.#pending.counters }
  }

  /** Fails pending calls with KIPC_UNAVAILABLE, closes and deletes the inbox. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#pending.failAll(new KafkaIpcError('KIPC_UNAVAILABLE', `${this.name} is shutting down: the call was ended before its answer came.`))
    this.#heartbeat.stop()
    this.#sweep.stop()
    const inbox = await this.#opening?.catch(() => undefined)
    await inbox?.close(true)
    if (this.#ownsTransport) await this.#transport.close()
  }

  /**
   * Sends a request or an event; a broker failure during a failover is retried for up to
   * `timeout` ms. The transport's own promise, untyped: each caller types a failure where it
   * takes it ({@link sendFailure}), with no promise wrapped around every send.
   */
  #sendWithin(message: OutgoingMessage, timeout: number): Promise<void> {
    return this.#transport.send(oneRecord(message), sendOptionsOf(this.policy, Date.now() + timeout))
  }

  #openInbox(): Promise<Inbox> {
    this.#assertOpen()
    this.#opening ??= this.#transport
      .openInbox({
        topic: topicNames.inbox(this.policy, this.name, this.instanceId),
        retentionMs: this.policy.retentionMs.inbox,
        create: this.policy.autoCreateTopics,
        onMessage: (message) => {
          this.#answers.receive(message)
        },
        onError: (error) => {
          this.#onError(error, { kind: 'transport', service: this.name, topic: topicNames.inbox(this.policy, this.name, this.instanceId) })
        },
        onState: (health) => {
          logChannelState(this.logs.connection, this.name, health)
          // Back after an outage: a sign of life at once, before any sweep takes this inbox for dead.
          if (health.state === 'consuming' && !this.#closed) void this.#heartbeat.beat()
        },
      })
      .then((inbox) => {
        this.#inbox = inbox
        if (!this.#closed) {
          this.#heartbeat.start()
          this.#sweep.start()
        }
        return inbox
      })
    return this.#opening
  }

  async #prepare(kind: ExchangeKind, topic: string, service: string | undefined): Promise<string | undefined> {
    await this.#openInbox()
    if (kind === 'gather' || service === undefined) await this.#topics.ensure(topic, this.policy.retentionMs.requests, this.policy.autoCreateTopics)
    else await this.#topics.ensureRequests(topic, service)
    return this.#inbox?.address
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError(this.name)
  }
}

function closedError(name: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_UNAVAILABLE', `${name} is closed.`)
}
