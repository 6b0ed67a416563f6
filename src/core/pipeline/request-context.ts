import type { DecorationValues } from '../decorations.ts'
import type { HandlerContext, IncomingRequest } from '../handler-types.ts'
import { checkOutgoingHeaders, type WireHeaders } from '../protocol/headers.ts'

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

  constructor(fields: Omit<IncomingRequest, 'query'>, queryString: string | undefined) {
    this.id = fields.id
    this.method = fields.method
    this.path = fields.path
    this.params = fields.params
    this.headers = fields.headers
    this.body = fields.body
    this.key = fields.key
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

  constructor(fields: Pick<HandlerContext, 'signal' | 'deadline' | 'caller' | 'state' | 'decorations'>) {
    this.signal = fields.signal
    this.deadline = fields.deadline
    this.caller = fields.caller
    this.state = fields.state
    this.decorations = fields.decorations
  }

  setHeader(name: string, value: string): void {
    this.#headers ??= Object.create(null) as Record<string, string>
    this.#headers[name.toLowerCase()] = value
  }

  /** The headers the handler set, checked as the protocol demands; undefined when it set none. */
  responseHeaders(): WireHeaders | undefined {
    return this.#headers === undefined ? undefined : checkOutgoingHeaders(this.#headers)
  }
}
