import type { EventContract, GatherContract, PathParams, RouteContract, StreamContract } from './contracts.ts'
import type { RemoteError } from './kafka-ipc-error.ts'
import type { CallOptions } from './pending-calls.ts'
import type { CallRetry } from './call-retries.ts'
import type { InferIn, Schema } from './schema.ts'

// The argument and result types of Client's calls, derived from contracts.

type BodyArg<S> = S extends Schema ? (undefined extends InferIn<S> ? { readonly body?: InferIn<S> } : { readonly body: InferIn<S> }) : { readonly body?: unknown }

/** The arguments object may be left out when nothing in it is required. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{} extends A` asks "is every property optional"
export type ArgsTuple<A> = {} extends A ? [args?: A] : [args: A]
type ParamsArg<Path extends string> = keyof PathParams<Path> extends never ? { readonly params?: undefined } : { readonly params: PathParams<Path> }

/** Options of {@link Client.call}: the body (typed by the contract), path parameters, and call options — and, for a route, its retries. */
export type CallArgs<C extends RouteContract | StreamContract> = CallOptions & BodyArg<C['body']> & ParamsArg<C['path']> & (C extends RouteContract ? RetryArg : unknown)

/** A route's call may be retried (docs/reliability.md#retrying-a-call). */
interface RetryArg {
  /** Sends the request again after a retryable failure, under the same message id; see {@link CallRetry}. */
  readonly retry?: CallRetry
}

/** Options of {@link Client.gather}: the body, and whose answers to wait for. */
export type GatherArgs<C extends GatherContract> = CallOptions &
  BodyArg<C['body']> & {
    /** Stop waiting after this many answers, or once these services answered. Default: wait until the deadline. */
    readonly expect?: number | readonly string[]
  }

/** The fields of a request every call kind shares, before contract typing. */
export interface RequestArgs extends CallOptions {
  readonly body?: unknown
  readonly retry?: CallRetry | undefined
  /** The deadline the responder is given (epoch ms), when it is later than this send's own wait: a retried call's, so that its first run may still finish for a later attempt. */
  readonly deadline?: number | undefined
  readonly params?: Readonly<Record<string, string>> | undefined
}

/** A reply whole, as {@link Client.request} gives it: status, the responder's headers, and the body. */
export interface CallResponse<Body> {
  readonly status: number
  /** Response headers, lowercase, without the kafka-ipc envelope (`content-type` included). */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Body
}

/** Options of {@link Client.emit}. */
export interface EmitOptions {
  /** Ordering key: events with the same key reach each subscriber in order. */
  readonly key?: string
  readonly headers?: Readonly<Record<string, string>>
}

/** The body (left out when the contract's body may be undefined) and options of an emit. */
export type EmitArgs<C extends EventContract> = undefined extends InferIn<C['body']> ? [body?: InferIn<C['body']>, options?: EmitOptions] : [body: InferIn<C['body']>, options?: EmitOptions]

/** One service's answer to a gather. */
export type GatherAnswer<Reply> = { readonly service: string; readonly ok: true; readonly reply: Reply } | { readonly service: string; readonly ok: false; readonly error: RemoteError }

/** What a gather collected. */
export interface GatherResult<Reply> {
  readonly answers: readonly GatherAnswer<Reply>[]
  /** True when the deadline came before the expected answers. */
  readonly partial: boolean
  /** Expected services that did not answer (when `expect` named them). */
  readonly missing: readonly string[]
}

