import type { ArgsTuple, CallArgs, EmitArgs, GatherAnswer, GatherArgs, GatherResult, RequestArgs } from './call-types.ts'
import { checkServiceName, type EventContract, fillPath, type GatherContract, type RouteContract, type StreamContract } from './contracts.ts'
import { type HealthReport, summarizeHealth } from './channel-health.ts'
import { isKafkaIpcError, KafkaIpcError } from './kafka-ipc-error.ts'
import { ConsumerWatch } from './consumer-watch.ts'
import { type ErrorListener, logFailures } from './failure.ts'
import { logChannelState, type Logger, stderrLogger } from './logger.ts'
import { buildMessage } from './protocol/envelope.ts'
import { remoteError } from './protocol/error-body.ts'
import { type Answer, PendingCalls } from './pending-calls.ts'
import { defaultPolicy, type Policy } from './policy.ts'
import { topicNames } from './protocol/topic-names.ts'
import { AnswerInbox } from './answer-inbox.ts'
import { RemoteStream } from './remote-stream.ts'
import { RunningRequests } from './running-requests.ts'
import { type InferOut, validate } from './schema.ts'
import type { Inbox, OutgoingMessage, SendOptions, Transport } from './transport.ts'
import { checkOutgoingHeaders } from './protocol/headers.ts'
import { newMessageId } from './protocol/message-id.ts'

/** How to build a client. */
export interface ClientOptions {
  /** This service's name: names its inbox, and tells responders who calls. */
  readonly name: string
  readonly transport: Transport
  readonly policy?: Policy
  /** Distinguishes instances of one service; random by default. */
  readonly instanceId?: string
  /**
   * Failures with no caller to tell — a handler that threw, a dropped record, an answer that could
   * not be sent, a channel that failed — each with its context (service, route or event, topic,
   * partition, offset, message id, caller). Default: one line each through `logger`
   * ({@link logFailures}).
   */
  readonly onError?: ErrorListener
  /**
   * Where state changes (a channel lost and re-established during a broker failover) are logged:
   * any pino-compatible logger. Default: one line on stderr per change ({@link stderrLogger}).
   */
  readonly logger?: Logger
  /** Close the transport with the client. */
  readonly ownsTransport?: boolean
}

/** Counters for monitoring. */
export interface ClientStats {
  readonly pending: number
  readonly lateAnswers: number
  readonly malformedMessages: number
  readonly timeouts: number
}

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
  readonly #ensured = new Map<string, Promise<void>>()
  readonly #consumers: ConsumerWatch
  readonly #onError: ErrorListener
  readonly logger: Logger
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

  constructor(options: ClientOptions) {
    this.name = checkServiceName(options.name)
    this.instanceId = options.instanceId ?? Math.random().toString(36).slice(2, 10)
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(this.instanceId)) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `instanceId ${JSON.stringify(this.instanceId)} must be 1–64 letters, digits, '_' or '-' (it names the inbox topic).`)
    }
    this.policy = options.policy ?? defaultPolicy
    this.#sendOptions = { compression: this.policy.compression }
    this.#transport = options.transport
    this.logger = options.logger ?? stderrLogger()
    this.#onError = options.onError ?? logFailures(this.logger)
    this.#consumers = new ConsumerWatch((service) => this.#transport.groupMembers(topicNames.group(this.policy, service)))
    this.#ownsTransport = options.ownsTransport ?? false
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

  /** Sends a request and resolves with the reply, or rejects with a typed error. */
  async call<C extends RouteContract>(contract: C, ...[callArgs]: ArgsTuple<CallArgs<C>>): Promise<InferOut<C['reply']>> {
    const args: RequestArgs = callArgs ?? {}
    const { message, id, timeout } = await this.#request(this.#routeOf(contract, args), args)
    return new Promise((resolve, reject) => {
      const release = this.#track(id, args.signal, timeout, (error) => {
        reject(error)
      }, `${contract.service} to ${contract.method} ${contract.path}`, contract.service)
      this.#pending.add(id, {
        target: contract.service,
        fail: (error) => {
          release()
          reject(error)
        },
        receive: (answer) => {
          release()
          if (answer.kind === 'reply') {
            ;(validate(this.policy.validateReplies ? contract.reply : undefined, answer.body, 'KIPC_INVALID_REPLY', `reply from ${contract.service}`) as Promise<InferOut<C['reply']>>).then(resolve, reject)
          } else if (answer.kind === 'error') {
            reject(remoteError(answer.service ?? contract.service, answer.status, answer.body))
          } else {
            reject(new KafkaIpcError('KIPC_PROTOCOL_ERROR', `${contract.service} answered ${contract.method} ${contract.path} with a stream ${answer.kind}; is it a route on both sides?`))
          }
        },
      })
      this.#sendWithin(message, timeout).catch((error: unknown) => {
        release()
        reject(transportError(error))
      })
    })
  }

  /**
   * Opens a stream: iterate the result to send the request and receive the items in order.
   * `break` (or an aborted signal) tells the responder to stop.
   */
  stream<C extends StreamContract>(contract: C, ...[streamArgs]: ArgsTuple<CallArgs<C>>): RemoteStream<InferOut<C['item']>> {
    const args: RequestArgs = streamArgs ?? {}
    let id = ''
    let release = (): void => undefined
    const remote: RemoteStream<InferOut<C['item']>> = new RemoteStream({
      service: contract.service,
      start: async (self) => {
        const request = await this.#request(this.#routeOf(contract, args), args)
        id = request.id
        release = this.#track(id, args.signal, request.timeout, (error) => {
          self.fail(error, true)
        }, `${contract.service} to finish ${contract.method} ${contract.path}`, contract.service)
        this.#pending.add(id, {
          target: contract.service,
          receive: (answer) => {
            self.receive(answer)
          },
          fail: (error) => {
            self.fail(error, false)
          },
        })
        await this.#sendWithin(request.message, request.timeout)
      },
      cancel: (responder) => {
        // Only ever to an inbox: a misbehaving responder cannot aim our cancel at another topic.
        const target = responder === undefined ? undefined : topicNames.allowedInbox(this.policy, responder)
        if (target === undefined) return
        const cancel = buildMessage(target, 'cancel', { correlation: id, service: this.name }, undefined, this.policy.codec, this.policy.maxMessageBytes)
        this.#transport.send([cancel], this.#sendOptions).catch((error: unknown) => {
          this.#onError(error, { kind: 'transport', service: this.name, topic: cancel.topic })
        })
      },
      release: () => {
        release()
      },
      validateItem: (body) => validate(this.policy.validateReplies ? contract.item : undefined, body, 'KIPC_INVALID_REPLY', `stream item from ${contract.service}`) as Promise<InferOut<C['item']>>,
    })
    return remote
  }

  /** Publishes an event; resolves once the broker has it (acks=all). */
  async emit<C extends EventContract>(contract: C, ...[body, options = {}]: EmitArgs<C>): Promise<void> {
    this.#assertOpen()
    const topic = topicNames.event(this.policy, contract.name)
    await this.#ensureTopic(topic, this.policy.retentionMs.events, this.policy.autoCreateTopics)
    const message = buildMessage({ topic, key: options.key }, 'event', { service: this.name }, await validate(contract.body, body, 'KIPC_BAD_REQUEST', `event ${contract.name}`), this.policy.codec, this.policy.maxMessageBytes, checkOutgoingHeaders(options.headers))
    // An event has no deadline of its own: the policy's timeout bounds the wait through a failover.
    await this.#sendWithin(message, this.policy.timeoutMs)
  }

  /** Asks every service that answers `contract` and collects their answers until `expect` is met or the deadline. */
  async gather<C extends GatherContract>(contract: C, ...[gatherArgs]: ArgsTuple<GatherArgs<C>>): Promise<GatherResult<InferOut<C['reply']>>> {
    const args: GatherArgs<GatherContract> = gatherArgs ?? {}
    const { message, id, timeout } = await this.#request({ kind: 'gather', topic: topicNames.gather(this.policy, contract.name), method: 'POST', path: `/${contract.name}`, target: contract.name }, args)
    const expect = args.expect
    const answers: GatherAnswer<InferOut<C['reply']>>[] = []
    const answered = new Set<string>()
    const settled: Promise<unknown>[] = []
    const complete = (): boolean =>
      typeof expect === 'number' ? answers.length >= expect : expect === undefined ? false : expect.every((name) => answers.some((answer) => answer.service === name))
    return new Promise((resolve, reject) => {
      const finish = (partial: boolean): void => {
        release()
        void Promise.all(settled).then(() => {
          const missing = Array.isArray(expect) ? expect.filter((name: string) => !answers.some((answer) => answer.service === name)) : []
          resolve({ answers: [...answers], partial, missing })
        })
      }
      const release = this.#track(id, args.signal, timeout, (error) => {
        if (isTimeout(error)) finish(!complete() && expect !== undefined)
        else reject(error)
      }, `gather ${contract.name}`)
      this.#pending.add(id, {
        target: contract.name,
        fail: (error) => {
          release()
          reject(error)
        },
        receive: (answer) => {
          const service = answer.service ?? 'unknown'
          // One answer per service: a second is a copy the broker stored twice (or a gather request
          // run again by another instance after a crash), not a new answer.
          if (answered.has(service)) {
            this.#pending.counters.lateAnswers++
            return
          }
          answered.add(service)
          const taking = this.#gatherAnswer(contract, service, answer).then((result) => {
            answers.push(result)
            if (complete()) finish(false)
          })
          settled.push(taking)
        },
      })
      this.#sendWithin(message, timeout).catch((error: unknown) => {
        release()
        reject(transportError(error))
      })
    })
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
    const inbox = await this.#opening?.catch(() => undefined)
    await inbox?.close(true)
    if (this.#ownsTransport) await this.#transport.close()
  }

  async #gatherAnswer<C extends GatherContract>(contract: C, service: string, answer: Answer): Promise<GatherAnswer<InferOut<C['reply']>>> {
    if (answer.kind === 'error') return { service, ok: false, error: remoteError(service, answer.status, answer.body) }
    try {
      const reply = (await validate(this.policy.validateReplies ? contract.reply : undefined, answer.body, 'KIPC_INVALID_REPLY', `gather answer from ${service}`)) as InferOut<C['reply']>
      return { service, ok: true, reply }
    } catch (error) {
      return { service, ok: false, error: remoteError(service, 502, { code: 'KIPC_INVALID_REPLY', message: (error as Error).message }) }
    }
  }

  /** The request record of a call, a stream or a gather, once the inbox and the topic are ready. */
  async #request(
    route: { readonly kind: 'route' | 'gather'; readonly topic: string; readonly method: string; readonly path: string; readonly target: string },
    args: RequestArgs,
  ): Promise<{ message: OutgoingMessage; id: string; timeout: number }> {
    this.#assertOpen()
    if (args.signal?.aborted === true) throw cancelled(route.target)
    const timeout = checkTimeout(args.timeout ?? this.policy.timeoutMs, this.policy.maxTimeoutMs)
    await this.#openInbox()
    if (route.kind === 'gather') await this.#ensureTopic(route.topic, this.policy.retentionMs.requests, this.policy.autoCreateTopics)
    else await this.#ensureRequestTopic(route.topic, route.target)
    const id = newMessageId()
    const message = buildMessage(
      { topic: route.topic, key: args.key },
      'request',
      { replyTo: this.#inbox?.address, deadline: Date.now() + timeout, method: route.method, path: route.path, service: this.name },
      args.body,
      this.policy.codec,
      this.policy.maxMessageBytes,
      checkOutgoingHeaders(args.headers),
      id,
    )
    return { message, id, timeout }
  }

  /** Sends a request or an event; a broker failure during a failover is retried for up to `timeout` ms. */
  #sendWithin(message: OutgoingMessage, timeout: number): Promise<void> {
    return this.#transport.send([message], { ...this.#sendOptions, retryUntil: Date.now() + timeout }).catch((error: unknown) => {
      throw transportError(error)
    })
  }

  #routeOf(contract: RouteContract | StreamContract, args: RequestArgs): { kind: 'route'; topic: string; method: string; path: string; target: string } {
    return { kind: 'route', topic: topicNames.requests(this.policy, contract.service), method: contract.method, path: fillPath(contract.path, args.params), target: contract.service }
  }

  /** Arms the deadline and the abort signal for a pending call; returns its release function. */
  #track(id: string, signal: AbortSignal | undefined, timeout: number, fail: (error: Error) => void, waitingFor: string, service?: string): () => void {
    if (service !== undefined) this.#consumers.note(service)
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      this.#pending.delete(id)
    }
    const timer = setTimeout(() => {
      release()
      this.#pending.counters.timeouts++
      const consumers = service === undefined ? undefined : this.#consumers.known(service)
      fail(new KafkaIpcError('KIPC_TIMEOUT', `Timed out after ${timeout} ms waiting for ${waitingFor}.${service === undefined ? '' : consumersNote(this.policy, service, consumers)}`, { details: { timeoutMs: timeout, consumers } }))
    }, timeout)
    const onAbort = (): void => {
      release()
      fail(cancelled(waitingFor))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    return release
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
          logChannelState(this.logger, this.name, health)
        },
      })
      .then((inbox) => {
        this.#inbox = inbox
        return inbox
      })
    return this.#opening
  }

  #ensureTopic(topic: string, retentionMs: number, create: boolean): Promise<void> {
    let ensured = this.#ensured.get(topic)
    if (ensured === undefined) {
      ensured = this.#transport.ensureTopics([{ name: topic, partitions: this.policy.partitions, replication: this.policy.replication, retentionMs }], create)
      ensured.catch(() => this.#ensured.delete(topic))
      this.#ensured.set(topic, ensured)
    }
    return ensured
  }

  /**
   * A service's request topic is its own: it creates it in listen(). A caller never does, so a
   * typo in a service name fails at once, naming the topic, instead of creating a topic nobody
   * reads and timing out like a slow service (docs/decisions/0005-callers-do-not-create-request-topics.md).
   */
  async #ensureRequestTopic(topic: string, service: string): Promise<void> {
    try {
      await this.#ensureTopic(topic, this.policy.retentionMs.requests, false)
    } catch (error) {
      if (!isKafkaIpcError(error, 'KIPC_TOPIC_MISSING')) throw error
      throw new KafkaIpcError(
        'KIPC_UNKNOWN_SERVICE',
        `No service named ${service} has ever listened with prefix ${this.policy.prefix}: its request topic ${topic} does not exist. Check the service name in the contract, or start ${service} first.`,
        { details: { service, topic } },
      )
    }
  }


  #assertOpen(): void {
    if (this.#closed) throw new KafkaIpcError('KIPC_UNAVAILABLE', `${this.name} is closed.`)
  }
}

function cancelled(what: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_CANCELLED', `The call to ${what} was cancelled.`)
}

function isTimeout(error: Error): boolean {
  return error instanceof KafkaIpcError && error.code === 'KIPC_TIMEOUT'
}

function transportError(error: unknown): KafkaIpcError {
  if (error instanceof KafkaIpcError) return error
  return new KafkaIpcError('KIPC_TRANSPORT_ERROR', `The broker refused the message: ${(error as Error).message}`, { cause: error })
}

/** Timeouts become whole milliseconds on the wire; nonsense is refused before anything is sent. */
function checkTimeout(timeout: number, max: number): number {
  if (!Number.isFinite(timeout) || timeout <= 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `timeout must be a positive number of milliseconds, got ${String(timeout)}.`)
  if (timeout > max) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `timeout ${String(timeout)} ms is longer than the policy allows (maxTimeoutMs ${max}).`)
  return Math.ceil(timeout)
}

/** What a timeout can add about who consumes the service's requests (see {@link ConsumerWatch}). */
function consumersNote(policy: Policy, service: string, consumers: number | undefined): string {
  if (consumers === undefined) return ''
  if (consumers === 0) return ` No instance of ${service} is consuming ${topicNames.requests(policy, service)} (consumer group ${topicNames.group(policy, service)} has no members): it is stopped, not started yet, or failing to start.`
  return ` ${consumers} instance(s) of ${service} consume its requests: the handler is slow, its partition is backed up, or the deadline is too short.`
}
