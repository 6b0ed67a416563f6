import { decodeBody } from '../protocol/bodies.ts'
import { checkBodySize } from '../protocol/body-size.ts'
import { readEnvelope, wireHeader } from '../protocol/envelope.ts'
import { isThenable } from '../is-thenable.ts'
import { isWebResponse } from '../http/is-web-response.ts'
import { validate } from '../schema.ts'
import { type HandlingWatcher, type IncomingMessage, type OutgoingMessage, type SendReceipt, sendAndTell, sendOptionsOf, oneRecord, type ToldHandling } from '../transport.ts'
import { Answers, handlerMistake, replyHeaders, replyRecord, replyStatus, validReply } from './answers.ts'
import { ReceivedRequest, RequestContext } from './request-context.ts'
import type { Handling } from './request-pipeline.ts'
import type { RunningController } from '../running-requests.ts'
import { noHooks, type Registered, reportUndeliverable, type Routed, type ServicePipelineDeps } from './service-pipeline.ts'

/** A handler that answers once: a route's, or a gather's. */
export type AnsweringRoute = Extract<Registered, { kind: 'route' | 'gather' }>

/**
 * What {@link runRouteAtOnce} hands on to the full handling once the handler ran: its signal's
 * controller and its context, and what it returned (a value or a promise) or threw.
 */
export type HandlerRan = { readonly controller: RunningController; readonly context: RequestContext } & ({ readonly returned: unknown } | { readonly error: unknown })

/** The full handling: from the start, or from a handler's run. */
export type FullHandling = (handling: Handling, ran?: HandlerRan) => Promise<void>

/**
 * A typed route's (or gather's) request when nothing watches it — no hooks, untraced: decode,
 * validate, the handler, the reply's validation and its send, with no async function. While the
 * reply waits for the broker's acknowledgement, the request holds its answers and one reaction
 * to the send, not the suspended frames of the full handling — at hundreds of requests in
 * flight, what lives across young-generation collections is what a responder's memory and its
 * garbage collector pay for (docs/performance.md).
 *
 * Anything else goes on in `full`, which reads, answers and reports exactly as it always does: a
 * body that does not decode or validate (read again there: decoding is pure), an asynchronous
 * body schema that fails, a handler that throws or rejects, a `Response`, a reply that does not
 * validate or whose schema is asynchronous, a deadline passed or a cancel during the handler.
 *
 * @example
 * ```ts
 * if (found.registered.kind === 'route' && deps.hooks.isEmpty) return runRouteAtOnce(handling, found.registered, found.params, runHandler)
 * ```
 */
export function runRouteAtOnce(handling: Handling, route: AnsweringRoute, params: Record<string, string>, full: FullHandling): PromiseLike<void> {
  const { deps, message } = handling
  const { policy } = deps
  let body: unknown
  try {
    checkBodySize(message.value.byteLength, policy.maxMessageBytes, 'request')
    body = validate(route.contract.body, decodeBody(message.value, message.headers.get(wireHeader.contentType), policy.codec), 'KIPC_BAD_REQUEST', 'request body')
  } catch {
    return full(handling)
  }
  if (body instanceof Promise) {
    return body.then(
      (valid: unknown) => callRoute(handling, route, params, valid, full),
      () => full(handling),
    )
  }
  return callRoute(handling, route, params, body, full)
}

/** Runs the handler on a valid body, and answers what it returns. */
function callRoute(handling: Handling, route: AnsweringRoute, params: Record<string, string>, body: unknown, full: FullHandling): PromiseLike<void> {
  const { deps, envelope, message, deadline, headers } = handling
  // Registered as running (a cancel reaches it; aborted with KIPC_TIMEOUT once the deadline passes,
  // by the one timer that watches every running request) unless it answers at once: see handOn.
  const controller = deps.running.prepare(deadline)
  const context = new RequestContext(controller.signal, deadline, envelope.service, {}, deps.decorations)
  const request = new ReceivedRequest(envelope.id, envelope.method ?? 'POST', envelope.path ?? '/', params, headers, body, message.key, envelope.query)
  let returned: unknown
  try {
    returned = route.handler(request, context)
  } catch (error) {
    return handOn(handling, full, { controller, context, error })
  }
  if (!isThenable(returned)) return reply(handling, route, controller, context, returned, full)
  deps.running.track(envelope.id, controller)
  return Promise.resolve(returned).then(
    (result: unknown) => reply(handling, route, controller, context, result, full),
    (error: unknown) => handOn(handling, full, { controller, context, error }),
  )
}

/**
 * Hands the request to the full handling, registered as running first — from here on a cancel or
 * its deadline reaches its signal, as on the full handling's own way. Only a handler that answered
 * synchronously and whose reply goes out here is never registered (RunningRequests.prepare).
 */
function handOn(handling: Handling, full: FullHandling, ran: HandlerRan): Promise<void> {
  handling.deps.running.track(handling.envelope.id, ran.controller)
  return full(handling, ran)
}

/**
 * Validates the handler's result, builds the reply and hands it to the transport. The handler is
 * done then: its running entry goes (a cancel has nothing left to stop), and the reply is recorded
 * in the deduplication store before its send, as the full handling records it. Anything that fails
 * before the hand-over goes to the full handling with the handler's result, which answers it as it
 * always does.
 */
function reply(handling: Handling, route: AnsweringRoute, controller: RunningController, context: RequestContext, result: unknown, full: FullHandling): PromiseLike<void> {
  const { deps, envelope, held } = handling
  if (isWebResponse(result) || controller.signal.aborted) return handOn(handling, full, { controller, context, returned: result })
  let record: OutgoingMessage
  try {
    const valid = validReply(result, route.contract.reply, deps.policy)
    if (valid instanceof Promise) {
      // The full handling validates the reply again, and answers its failure; this one is not waited for.
      valid.catch(() => undefined)
      return handOn(handling, full, { controller, context, returned: result })
    }
    record = replyRecord(deps, envelope, handling.replyTarget, replyStatus(result, context), valid, replyHeaders(result, context))
  } catch {
    return handOn(handling, full, { controller, context, returned: result })
  }
  deps.running.finish(envelope.id)
  // A reply is always the whole answer: recorded first, it is what a redelivery or a retry gets
  // even if this instance dies before the send. A claim settles once and never rejects.
  const recorded = held?.settle(true, { headers: record.headers, value: record.value })
  const { message, found, deadline } = handling
  if (recorded === undefined) return sendReply(deps, message, found, record, deadline)
  return recorded.then(() => sendReply(deps, message, found, record, deadline))
}

/**
 * Sends a built reply; the request is finished when the broker has it. While it waits, the request
 * keeps what its {@link ReplyOnItsWay} names — the record and its reply, both held by the
 * dispatcher and the send anyway, and the route — not its handling, envelope, answers, claim or
 * context: at hundreds of requests in flight, what lives across young-generation collections is
 * what a responder's memory and its garbage collector pay for (docs/performance.md).
 */
function sendReply(deps: ServicePipelineDeps, message: IncomingMessage, found: Routed | undefined, record: OutgoingMessage, deadline: number): PromiseLike<void> {
  const onItsWay = new ReplyOnItsWay(deps, message, found, record, deadline)
  sendAndTell(deps.transport, oneRecord(record), sendOptionsOf(deps.policy, deadline), onItsWay)
  return onItsWay
}

/** How a reply on its way has ended, if it has. */
const notEnded = 0
const handled = 1
const failed = 2
type Ended = typeof notEnded | typeof handled | typeof failed

/**
 * A reply handed to the transport, told by it how the send ended ({@link SendReceipt}), and the
 * request's handling for the ordered dispatcher, which it tells in turn ({@link ToldHandling}): one
 * object, where a promise per send, the dispatcher's promise and the reactions to both would each
 * live until the broker acknowledges the reply. A promise is made only for whoever awaits it.
 */
class ReplyOnItsWay implements SendReceipt, ToldHandling {
  readonly #deps: ServicePipelineDeps
  readonly #message: IncomingMessage
  readonly #found: Routed | undefined
  readonly #record: OutgoingMessage
  readonly #deadline: number
  #ended: Ended = notEnded
  #error: unknown
  #watcher: HandlingWatcher | undefined
  /** Made for whoever awaits the reply's end: the dispatcher does not. */
  #settled: PromiseWithResolvers<undefined> | undefined

  constructor(deps: ServicePipelineDeps, message: IncomingMessage, found: Routed | undefined, record: OutgoingMessage, deadline: number) {
    this.#deps = deps
    this.#message = message
    this.#found = found
    this.#record = record
    this.#deadline = deadline
  }

  sent(): void {
    this.#deps.counters.handled++
    this.#end(handled, undefined)
  }

  unsent(error: unknown): void {
    let after: Promise<void> | undefined
    try {
      after = unsent(this.#deps, this.#message, this.#found, this.#record, this.#deadline, error)
    } catch (thrown) {
      this.#end(failed, thrown)
      return
    }
    if (after === undefined) this.#end(handled, undefined)
    else {
      after.then(
        () => {
          this.#end(handled, undefined)
        },
        (thrown: unknown) => {
          this.#end(failed, thrown)
        },
      )
    }
  }

  watch(watcher: HandlingWatcher): void {
    if (this.#watcher !== undefined) throw new Error('A reply on its way tells one watcher.')
    this.#watcher = watcher
    if (this.#ended !== notEnded) this.#tell(watcher)
  }

  then<Fulfilled = undefined, Rejected = never>(onFulfilled?: ((value: undefined) => Fulfilled | PromiseLike<Fulfilled>) | null, onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null): PromiseLike<Fulfilled | Rejected> {
    if (this.#settled === undefined) {
      this.#settled = Promise.withResolvers<undefined>()
      if (this.#ended === handled) this.#settled.resolve(undefined)
      else if (this.#ended === failed) this.#settled.reject(this.#error)
    }
    return this.#settled.promise.then(onFulfilled, onRejected)
  }

  #end(ended: Ended, error: unknown): void {
    if (this.#ended !== notEnded) return
    this.#ended = ended
    this.#error = error
    if (this.#watcher !== undefined) this.#tell(this.#watcher)
    if (ended === handled) this.#settled?.resolve(undefined)
    else this.#settled?.reject(error)
  }

  #tell(watcher: HandlingWatcher): void {
    if (this.#ended === handled) watcher.handled()
    else watcher.failed(this.#error)
  }
}

/**
 * A reply the broker would not take: counted and reported (the same broker would not take an
 * error answer either), the run staying recorded as finished. A transport that calls the reply
 * itself invalid (`KIPC_INVALID_ARGUMENT`) is the service's mistake, answered as the full handling
 * answers it — unless the request's deadline passed, when nobody waits for an answer.
 */
function unsent(deps: ServicePipelineDeps, message: IncomingMessage, found: Routed | undefined, record: OutgoingMessage, deadline: number, error: unknown): Promise<void> | undefined {
  // Read again from the record, whose envelope is valid (it was read before): not kept while the reply was on its way.
  const envelope = readEnvelope(message.headers)
  reportUndeliverable(deps, error, message, envelope, found)
  const mistake = handlerMistake(error)
  if (mistake === error) return undefined
  if (deadline <= Date.now()) {
    deps.counters.cancelled++
    return undefined
  }
  const to = { topic: record.topic, partition: record.partition ?? 0 }
  return new Answers(deps, envelope, message, to, deadline, noHooks, found).fail('send', mistake, 'handler-failed')
}
