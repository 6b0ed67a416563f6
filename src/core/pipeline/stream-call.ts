import type { RequestArgs } from '../call-types.ts'
import { fillPath, type StreamContract } from '../contracts.ts'
import type { CallTrace } from '../trace-contexts.ts'
import { channels, type OpenTrace, openTrace } from '../tracing.ts'
import { isKafkaIpcError } from '../kafka-ipc-error.ts'
import type { Policy } from '../policy.ts'
import { buildMessage } from '../protocol/envelope.ts'
import { remoteError } from '../protocol/error-body.ts'
import { topicNames } from '../protocol/topic-names.ts'
import { RemoteStream } from '../remote-stream.ts'
import { type InferOut, validate } from '../schema.ts'
import type { OutgoingMessage } from '../transport.ts'
import { type Exchange, type ExchangeDeps, exchangeTarget, startExchange } from './exchange.ts'

/** What a stream needs from its client. */
export interface StreamDeps {
  readonly client: string
  readonly policy: Policy
  readonly exchange: ExchangeDeps
  /**
   * Sends a cancel or a credit to the responding instance, reporting (not throwing) a failure; a
   * broker failure is retried until `retryUntil` (epoch ms) when given.
   */
  readonly sendCancel: (cancel: OutgoingMessage, retryUntil?: number) => void
}

/**
 * Tells the instance producing a stream to stop: a cancel to the inbox its items named — only
 * ever to an inbox of this policy, so a misbehaving responder cannot aim it at another topic.
 * Nothing is sent before the request went out or when no item named an inbox.
 *
 * @example
 * ```ts
 * cancelResponder(deps, answer.replyTo, exchange)
 * ```
 */
export function cancelResponder(deps: StreamDeps, responder: string | undefined, exchange: Exchange | undefined): void {
  const to = responder === undefined ? undefined : topicNames.allowedInbox(deps.policy, responder)
  if (to === undefined || exchange === undefined) return
  deps.sendCancel(buildMessage(to, 'cancel', { correlation: exchange.id, service: deps.client }, undefined, deps.policy.codec, deps.policy.maxMessageBytes))
}

/**
 * Tells the instance producing a stream how many items the reader has taken in all (`kipc-seq` of
 * a `credit` record, docs/protocol.md §9), so it may run a window past them — to the inbox its
 * items named, under the same rule as a cancel. Its send is retried through a broker failover
 * until the stream's deadline: a responder waiting for it would otherwise wait out the deadline.
 *
 * @example
 * ```ts
 * creditResponder(deps, answer.replyTo, exchange, 512, deadline)
 * ```
 */
export function creditResponder(deps: StreamDeps, responder: string | undefined, exchange: Exchange | undefined, read: number, deadline: number): void {
  const to = responder === undefined ? undefined : topicNames.allowedInbox(deps.policy, responder)
  if (to === undefined || exchange === undefined) return
  deps.sendCancel(buildMessage(to, 'credit', { correlation: exchange.id, service: deps.client, seq: read }, undefined, deps.policy.codec, deps.policy.maxMessageBytes), deadline)
}

/**
 * The flow-control window a stream or a fetch announces: the policy's `streamWindow`, or none when
 * it is 0 — the responder then sends without waiting for credit.
 *
 * @example
 * ```ts
 * buildMessage(…, { …, window: announcedWindow(policy) }, …)
 * ```
 */
export function announcedWindow(policy: Pick<Policy, 'streamWindow'>): number | undefined {
  return policy.streamWindow === 0 ? undefined : policy.streamWindow
}

/**
 * When a call sent now with `timeout` (the policy's by default, cut to its maximum) ends: credits
 * for its stream are retried until then.
 *
 * @example
 * ```ts
 * const deadline = callDeadline(policy, args.timeout)
 * ```
 */
export function callDeadline(policy: Pick<Policy, 'timeoutMs' | 'maxTimeoutMs'>, timeout: number | undefined): number {
  return Date.now() + Math.min(timeout ?? policy.timeoutMs, policy.maxTimeoutMs)
}

/**
 * A stream from a service, started on its first read: the request goes out through the exchange
 * (announcing the policy's `streamWindow`), items come back in order with credit going back as
 * they are read, and leaving early (or the signal, or the deadline) sends a cancel to
 * the instance producing them — only ever to an inbox of this policy. Traced on `kafka-ipc:call`
 * from the first read until the stream ends.
 *
 * @example
 * ```ts
 * for await (const fare of openStream(deps, search, { body: { from: 'WAW' } })) console.log(fare)
 * ```
 */
export function openStream<C extends StreamContract>(deps: StreamDeps, contract: C, args: RequestArgs): RemoteStream<InferOut<C['item']>> {
  const { policy } = deps
  const path = fillPath(contract.path, args.params)
  // The route as declared, as calls name theirs: one name per route, whatever its parameters.
  const target = exchangeTarget({ service: contract.service, method: contract.method, route: contract.path })
  const topic = topicNames.requests(policy, contract.service)
  let exchange: Exchange | undefined
  let trace: OpenTrace | undefined
  let failure: unknown
  const window = announcedWindow(policy)
  // Set when the request goes out; credits are retried until then (the exchange checks the timeout itself).
  let deadline = 0
  // The caller's arguments, until the request is sent: the stream may stay open for minutes, and
  // holding the body the caller built that long would keep its whole object graph alive.
  let request: RequestArgs | undefined = args
  return new RemoteStream({
    service: contract.service,
    window,
    start: async (self) => {
      const given = request ?? {}
      request = undefined
      deadline = callDeadline(policy, given.timeout)
      const context: CallTrace = { client: deps.client, kind: 'stream', target, topic }
      trace = openTrace(channels.call, () => context)
      try {
        exchange = await startExchange(deps.exchange, {
          kind: 'stream',
          topic,
          method: contract.method,
          path,
          route: contract.path,
          trace: trace === undefined ? undefined : context,
          service: contract.service,
          window,
          args: given,
          receive: (answer) => {
            if (answer.kind === 'error') failure ??= remoteError(answer.service ?? contract.service, answer.status, answer.body)
            self.receive(answer)
          },
          fail: (error) => {
            failure ??= error
            // A deadline or a signal tells the responder to stop; a shutdown or a failed send cannot.
            self.fail(error, isKafkaIpcError(error, 'KIPC_TIMEOUT') || isKafkaIpcError(error, 'KIPC_CANCELLED'))
          },
        })
      } catch (error) {
        trace?.close(error)
        throw error
      }
    },
    cancel: (responder) => {
      cancelResponder(deps, responder, exchange)
    },
    credit: (responder, read) => {
      creditResponder(deps, responder, exchange, read, deadline)
    },
    release: () => {
      exchange?.release()
      trace?.close(failure)
    },
    validateItem: (body) => validate(policy.validateReplies ? contract.item : undefined, body, 'KIPC_INVALID_REPLY', `stream item from ${contract.service}`) as InferOut<C['item']> | Promise<InferOut<C['item']>>,
  })
}
