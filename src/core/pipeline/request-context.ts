import type { DecorationValues } from '../decorations.ts'
import type { HandlerContext, IncomingRequest } from '../handler-types.ts'
import { checkOutgoingHeaders, type WireHeaders } from '../protocol/headers.ts'
import { nullRecord } from '../null-record.ts'

/**
 * A request as its handler reads it. A class rather than an object literal so that `query` is
 * parsed only when a handler reads it, with no closure made per request.
 */
export class ReceivedRequest implements IncomingRequest {
  readonly id: string
  readonly method: string
  readonly path: string
  readonly params: Record<string, string>
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  readonly key: string | undefined
  readonly #queryString: string | undefined
  #query: URLSearchParams | undefined

  // Positional, not an object of fields: one allocation per request, not two.
  constructor(id: string, method: string, path: string, params: Record<string, string>, headers: Readonly<Record<string, string>>, body: unknown, key: string | undefined, queryString: string | undefined) {
    this.id = id
    this.method = method
    this.path = path
    this.params = params
    this.headers = headers
    this.body = body
    this.key = key
    this.#queryString = queryString
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#queryString))
  }
}

/** What a handler learns about its call and how it answers: status and headers included. */
export class RequestContext implements HandlerContext {
  readonly signal: AbortSignal
  readonly deadline: number
  readonly caller: string | undefined
  status = 200
  readonly state: Record<string, unknown>
  readonly decorations: DecorationValues
  #headers: Record<string, string> | undefined

  constructor(signal: AbortSignal, deadline: number, caller: string | undefined, state: Record<string, unknown>, decorations: DecorationValues) {
    this.signal = signal
    this.deadline = deadline
    this.caller = caller
    this.state = state
    this.decorations = decorations
  }

  setHeader(name: string, value: string): void {
    this.#headers ??= nullRecord<string>()
    this.#headers[name.toLowerCase()] = value
  }

  /** The headers the handler set, checked as the protocol demands; undefined when it set none. */
  responseHeaders(): WireHeaders | undefined {
    return this.#headers === undefined ? undefined : checkOutgoingHeaders(this.#headers)
  }
}
