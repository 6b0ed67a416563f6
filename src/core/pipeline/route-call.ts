import type { CallResponse, RequestArgs } from '../call-types.ts'
import { fillPath, type RouteContract } from '../contracts.ts'
import { errorFromHttp } from '../http/error-status.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { type Answer, answerContentType } from '../pending-calls.ts'
import type { Codec } from '../protocol/codec.ts'
import { remoteError } from '../protocol/error-body.ts'
import { userHeaders } from '../protocol/headers.ts'
import type { ContractTopics } from '../protocol/topic-names.ts'
import { validate } from '../schema.ts'
import type { CallTrace } from '../trace-contexts.ts'
import { type Exchange, type ExchangeDeps, startExchange } from './exchange.ts'

/** What a route call needs from its client. */
export interface RouteCallDeps {
  readonly exchange: ExchangeDeps
  /** The request topic of each service, named once per service. */
  readonly topics: ContractTopics
}

/**
 * One send of a route's request and the wait for its reply: `call()` (`full` false) resolves with
 * the reply's validated body and rejects on a status of 400 or more ({@link errorFromHttp});
 * `request()` (`full` true) resolves with status, headers and body whatever the status. Either
 * rejects with the responder's error, a stream answer to a route, or a failed send.
 *
 * Not an async function: the call's one promise is the one its answer settles, and a schema that
 * answers at once resolves it at once — no promise per reply.
 *
 * @example
 * ```ts
 * const body = await callRoute({ exchange, topics }, quote, { body: { to: 'JFK' } }, false, undefined)
 * ```
 */
export function callRoute(deps: RouteCallDeps, contract: RouteContract, args: RequestArgs, full: boolean, trace: CallTrace | undefined): Promise<unknown> {
  const { promise, resolve, reject } = Promise.withResolvers<unknown>()
  const { policy } = deps.exchange
  let started: Exchange | Promise<Exchange>
  try {
    started = startExchange(deps.exchange, {
      kind: 'call',
      topic: deps.topics.requests(contract.service),
      method: contract.method,
      path: fillPath(contract.path, args.params),
      route: contract.path,
      trace,
      service: contract.service,
      args,
      receive: (answer, exchange) => {
        exchange.release()
        const service = answer.service ?? contract.service
        if (answer.kind === 'reply') {
          const status = answer.status ?? 200
          if (status >= 400 && !full) {
            reject(errorFromHttp(service, status, answer.body))
            return
          }
          let body: unknown
          try {
            body = validate(policy.validateReplies && status < 300 ? contract.reply : undefined, answer.body, 'KIPC_INVALID_REPLY', `reply from ${contract.service}`)
          } catch (error) {
            reject(error)
            return
          }
          if (!(body instanceof Promise)) resolve(full ? fullReply(status, answer, body, policy.codec) : body)
          else settleLater(body, full, status, answer, policy.codec, resolve, reject)
        } else if (answer.kind === 'error') {
          reject(remoteError(service, answer.status, answer.body))
        } else {
          reject(new KafkaIpcError('KIPC_PROTOCOL_ERROR', `${contract.service} answered ${contract.method} ${contract.path} with a stream ${answer.kind}; is it a route on both sides?`))
        }
      },
      fail: reject,
    })
  } catch (error) {
    // Refused before anything was sent: a bad argument, a cancelled signal, a closed client.
    reject(error)
    return promise
  }
  if (started instanceof Promise) started.catch(reject)
  return promise
}

/**
 * Resolves a call once its reply's asynchronous validation ends. Apart from `callRoute`'s
 * `receive`, so that no closure in `receive` captures the answer: V8 would then put the answer in
 * a context made on every reply, whatever branch runs (docs/performance.md).
 */
function settleLater(body: Promise<unknown>, full: boolean, status: number, answer: Answer, codec: Codec, resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  if (!full) body.then(resolve, reject)
  else body.then((valid) => fullReply(status, answer, valid, codec)).then(resolve, reject)
}

/** What request() resolves with: the status, the application's headers and the validated body. */
function fullReply(status: number, answer: Answer, body: unknown, codec: Codec): CallResponse<unknown> {
  return { status, headers: answer.wireHeaders === undefined ? {} : userHeaders(answer.wireHeaders, answerContentType(answer, codec)), body }
}
