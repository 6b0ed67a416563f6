/** The status and headers a handler answers with besides its body. */
export interface ReplyInit {
  /** HTTP status of the answer; 200 when left out. */
  readonly status?: number
  /** Response headers (lowercase tokens; `kipc-*` is reserved). `content-type` chooses how the body travels. */
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * A handler's answer with a status and headers, made by {@link reply}. The body stays typed by the
 * route's contract.
 */
export class Reply<Body = unknown> {
  readonly body: Body
  readonly status: number | undefined
  readonly headers: Readonly<Record<string, string>> | undefined

  constructor(body: Body, init: ReplyInit = {}) {
    this.body = body
    this.status = init.status
    this.headers = init.headers
  }
}

/**
 * Answers a request with a status and headers, as an HTTP handler would. The caller's `call()`
 * gets the body; `client.request()` and `client.fetch()` get all three.
 *
 * @example
 * ```ts
 * app.handle(createBooking, async (req) => {
 *   const booking = await bookings.create(req.body)
 *   return reply(booking, { status: 201, headers: { location: `/bookings/${booking.id}` } })
 * })
 * ```
 */
export function reply<Body>(body: Body, init?: ReplyInit): Reply<Body> {
  return new Reply(body, init)
}
