import { decodeBody } from '../protocol/bodies.ts'
import { checkBodySize } from '../protocol/body-size.ts'
import { wireHeader } from '../protocol/envelope.ts'
import type { WireHeaders } from '../protocol/headers.ts'
import { isThenable } from '../is-thenable.ts'
import { validate } from '../schema.ts'
import { Answers, handlerMistake, replyHeaders, replyStatus, validReply } from './answers.ts'
import { ReceivedRequest, RequestContext } from './request-context.ts'
import type { Handling } from './request-pipeline.ts'
import { noHooks, type Registered } from './service-pipeline.ts'

/** A handler that answers once: a route's, or a gather's. */
export type AnsweringRoute = Extract<Registered, { kind: 'route' | 'gather' }>

/**
 * What {@link runRouteAtOnce} hands on to the full handling once the handler ran: its signal's
 * controller and its context, and what it returned (a value or a promise) or threw.
 */
export type HandlerRan = { readonly controller: AbortController; readonly context: RequestContext } & ({ readonly returned: unknown } | { readonly error: unknown })

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
export function runRouteAtOnce(handling: Handling, route: AnsweringRoute, params: Record<string, string>, full: FullHandling): Promise<void> {
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
function callRoute(handling: Handling, route: AnsweringRoute, params: Record<string, string>, body: unknown, full: FullHandling): Promise<void> {
  const { deps, envelope, message, deadline, headers } = handling
  // Aborted with KIPC_TIMEOUT once the deadline passes, by the one timer that watches every running request.
  const controller = deps.running.start(envelope.id, deadline)
  const context = new RequestContext(controller.signal, deadline, envelope.service, {}, deps.decorations)
  const request = new ReceivedRequest(envelope.id, envelope.method ?? 'POST', envelope.path ?? '/', params, headers, body, message.key, envelope.query)
  let returned: unknown
  try {
    returned = route.handler(request, context)
  } catch (error) {
    return full(handling, { controller, context, error })
  }
  if (!isThenable(returned)) return reply(handling, route, controller, context, returned, full)
  return Promise.resolve(returned).then(
    (result: unknown) => reply(handling, route, controller, context, result, full),
    (error: unknown) => full(handling, { controller, context, error }),
  )
}

/** Validates the handler's result and sends it as the reply; the request finishes when the broker has it. */
function reply(handling: Handling, route: AnsweringRoute, controller: AbortController, context: RequestContext, result: unknown, full: FullHandling): Promise<void> {
  const { deps, envelope, message, replyTarget, deadline, found, held } = handling
  if (result instanceof Response || controller.signal.aborted) return full(handling, { controller, context, returned: result })
  let valid: unknown
  let status: number
  let headers: WireHeaders | undefined
  try {
    valid = validReply(result, route.contract.reply, deps.policy)
    status = replyStatus(result, context)
    headers = replyHeaders(result, context)
  } catch {
    return full(handling, { controller, context, returned: result })
  }
  if (valid instanceof Promise) {
    // The full handling validates the reply again, and answers its failure; this one is not waited for.
    valid.catch(() => undefined)
    return full(handling, { controller, context, returned: result })
  }
  const answers = new Answers(deps, envelope, message, replyTarget, deadline, noHooks, found)
  if (held !== undefined) answers.recordReplyWith((answer) => held.settle(true, answer))
  answers.respondWith(headers)
  return answers.send('reply', { status }, valid).then(
    () => {
      deps.counters.handled++
      deps.running.finish(envelope.id)
      // Settled when the reply was recorded, before its send: this changes nothing then.
      return held?.settle(true, undefined)
    },
    (error: unknown) => unsent(handling, answers, controller, error),
  )
}

/** A reply the broker would not take (counted and reported by its send): the request ends failed, its claim released. */
async function unsent(handling: Handling, answers: Answers, controller: AbortController, error: unknown): Promise<void> {
  try {
    await answers.settle('send', handlerMistake(error), controller.signal)
  } finally {
    handling.deps.running.finish(handling.envelope.id)
  }
  await handling.held?.settle(false, undefined)
}
