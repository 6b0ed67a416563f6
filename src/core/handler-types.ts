import type { EventContract, GatherContract, PathParams, RouteContract, StreamContract } from './contracts.ts'
import type { DecorationValues } from './decorations.ts'
import type { Reply } from './http/reply.ts'
import type { InferIn, InferOut, Schema } from './schema.ts'

/** A request as a handler sees it: HTTP-shaped, body already validated. */
export interface IncomingRequest<Body = unknown, Params = Record<string, string>> {
  /** Unique id of this request (kipc-id); the same on a redelivery. */
  readonly id: string
  readonly method: string
  readonly path: string
  readonly params: Params
  /** The query string's parameters (`?from=WAW&to=JFK`); empty when there is none. */
  readonly query: URLSearchParams
  /** The caller's headers, lowercase, without the kafka-ipc envelope. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Body
  /** The record key the caller chose (the ordering key), if any. */
  readonly key: string | undefined
}

/** What a handler learns about the call besides the request, and how it answers. */
export interface HandlerContext {
  /** Aborts when the deadline passes, the caller cancels, or the service shuts down. */
  readonly signal: AbortSignal
  /** Absolute deadline (epoch ms) of the call. */
  readonly deadline: number
  /** Name of the calling service, when it said. */
  readonly caller: string | undefined
  /** Status of the reply; 200 unless the handler sets another (201, 202…). */
  status: number
  /**
   * Sets a response header (of a reply, or of a stream's first record). `content-type` chooses how
   * the body travels: `text/*` as text, a non-JSON type as bytes.
   */
  setHeader(name: string, value: string): void
  /** What hooks of this request left for the handler (an authenticated user, a trace span…). */
  readonly state: Record<string, unknown>
  /** What the service carries for every handler (`service.decorate`): a pool, a configuration. */
  readonly decorations: DecorationValues
}

/** What an event handler receives. */
export interface IncomingEvent<Body = unknown> {
  readonly id: string
  readonly name: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Body
  readonly key: string | undefined
  /** Name of the emitting service, when it said. */
  readonly source: string | undefined
}

/** Facts about an event's delivery. */
export interface EventContext {
  /** Aborts when the service shuts down. */
  readonly signal: AbortSignal
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  /** What hooks of this event left for the handler. */
  readonly state: Record<string, unknown>
  /** What the service carries for every handler (`service.decorate`). */
  readonly decorations: DecorationValues
  /** Which run of the handler this is for the event: 1, then 2, 3, … while it is retried (`policy.eventRetries`). */
  readonly attempt: number
}

type BodyOf<C extends { readonly body: Schema | undefined }> = InferOut<C['body']>

/** What a route handler may return: the body, the body with a status and headers ({@link Reply}), or a Web `Response`. */
export type RouteResult<Body> = Body | Reply<Body> | Response

/**
 * A request-reply handler: its return value is the reply — a body, `reply(body, { status, headers })`
 * or a `Response` — and a throw is an error reply.
 */
export type RouteHandler<C extends RouteContract> = (
  request: IncomingRequest<BodyOf<C>, PathParams<C['path']>>,
  context: HandlerContext,
) => Promise<RouteResult<InferIn<C['reply']>>> | RouteResult<InferIn<C['reply']>>

/** A stream handler: an async generator; each yield is one item, returning ends the stream. */
export type StreamHandler<C extends StreamContract> = (
  request: IncomingRequest<BodyOf<C>, PathParams<C['path']>>,
  context: HandlerContext,
) => AsyncIterable<InferIn<C['item']>>

/** A gather handler: the service's answer to a gather request. */
export type GatherHandler<C extends GatherContract> = (request: IncomingRequest<BodyOf<C>>, context: HandlerContext) => Promise<RouteResult<InferIn<C['reply']>>> | RouteResult<InferIn<C['reply']>>

/**
 * The handler a contract takes. One conditional type rather than overloads: with overloads,
 * TypeScript fixes a handler's inferred return type on the first overload it tries, which widens
 * literal replies (`currency: 'EUR'` became `string`).
 */
export type HandlerFor<C> = C extends RouteContract ? RouteHandler<C> : C extends StreamContract ? StreamHandler<C> : C extends GatherContract ? GatherHandler<C> : never

/** An event handler. A throw is reported through `onError`; the event still counts as consumed. */
export type EventHandler<C extends EventContract> = (event: IncomingEvent<BodyOf<C>>, context: EventContext) => Promise<void> | void
