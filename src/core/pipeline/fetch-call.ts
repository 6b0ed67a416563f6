import type { CallTrace } from '../trace-contexts.ts'
import { channels, type OpenTrace, openTrace } from '../tracing.ts'
import { parseKafkaUrl } from '../http/kafka-url.ts'
import { nullBodyStatuses, toHeaderList } from '../http/web-messages.ts'
import { readFetchArguments } from '../http/fetch-arguments.ts'
import { bufferedResponse } from '../http/buffered-response.ts'
import { isKafkaIpcError, KafkaIpcError } from '../kafka-ipc-error.ts'
import type { RequestArgs } from '../call-types.ts'
import { type Answer, answerContentType } from '../pending-calls.ts'
import { remoteError } from '../protocol/error-body.ts'
import { topicNames } from '../protocol/topic-names.ts'
import { type Exchange, exchangeTarget, startExchange } from './exchange.ts'
import { announcedWindow, callDeadline, cancelResponder, creditResponder, type StreamDeps } from './stream-call.ts'
import { type CreditGrants, grantsForStream } from '../stream-credit.ts'
import { wireHeader } from '../protocol/envelope.ts'
import { envelopeField } from '../protocol/packed-envelope.ts'

/** `fetch()`'s options, and what a call over Kafka adds to them. */
export interface KafkaFetchInit extends RequestInit {
  /** Milliseconds until the deadline, for the answer and the whole of a streamed body; the policy's timeoutMs by default. */
  readonly timeout?: number
  /** Ordering key: requests with the same key are handled one at a time, in order. */
  readonly key?: string
  /** The request's message id, as an idempotency key (see `CallOptions.id`). */
  readonly id?: string
}

const encoder = new TextEncoder()

/**
 * `fetch()` over Kafka: the request goes to the service the `kafka://` URL names, and its answer
 * comes back as a Web `Response` — a reply's status, headers and body; a stream's items as a
 * streaming body (newline-delimited JSON for a typed stream, the bytes themselves for a mounted
 * app's); a remote error as its status and JSON error body. As with fetch, an HTTP error status
 * resolves; the promise rejects only when no answer can come — the deadline (`KIPC_TIMEOUT`), the
 * signal (its reason), the client closing. Cancelling the body, aborting the signal or the
 * deadline tells a streaming responder to stop. A streaming body is paced by its reader (the
 * policy's `streamWindow`, docs/reliability.md#stream-flow-control): at most a window of items
 * waits in it unread, and the responder waits for credit beyond that.
 *
 * @example
 * ```ts
 * const response = await fetchOverKafka(deps, 'kafka://pricing/quotes?to=JFK', { headers: { accept: 'application/json' } })
 * ```
 */
export async function fetchOverKafka(deps: StreamDeps, input: string | URL | Request, init: KafkaFetchInit = {}): Promise<Response> {
  let read = readFetchArguments(input, init)
  if (read instanceof Promise) read = await read
  const { url, method, headers, body: bytes } = read
  const target = parseKafkaUrl(url)
  const signal = init.signal ?? (input instanceof Request ? input.signal : undefined)
  const topic = topicNames.requests(deps.policy, target.service)
  // Built only when somebody traces calls: an untraced fetch makes no target string.
  const context: CallTrace | undefined = channels.call.hasSubscribers ? { client: deps.client, kind: 'call', target: exchangeTarget({ service: target.service, method, route: target.path }), literal: true, topic } : undefined
  const trace = context === undefined ? undefined : openTrace(channels.call, () => context)
  const { promise, resolve, reject } = Promise.withResolvers<Response>()
  const window = announcedWindow(deps.policy)
  const deadline = callDeadline(deps.policy, init.timeout)
  const body = new BodyFeed(deps, target.service, trace, window, deadline)
  try {
    body.exchange = await startExchange(deps.exchange, {
      kind: 'call',
      topic,
      service: target.service,
      method,
      route: target.path,
      path: target.path,
      query: target.query,
      trace: trace === undefined ? undefined : context,
      rawReplies: true,
      unrouted: true,
      window,
      // One object, its absent options undefined (read as absent): no spread per option.
      args: { body: bytes === undefined || bytes.byteLength === 0 ? undefined : bytes, headers, timeout: init.timeout, key: init.key, id: init.id, signal: signal ?? undefined } as RequestArgs,
      receive: (answer) => {
        if (body.started) {
          body.take(answer)
          return
        }
        try {
          resolve(body.first(answer, method === 'HEAD'))
        } catch (error) {
          body.end(error)
          reject(error)
        }
      },
      fail: (error) => {
        // As fetch does: an aborted signal rejects with its reason.
        const cause = signal?.aborted === true && isKafkaIpcError(error, 'KIPC_CANCELLED') ? (signal.reason as unknown) : error
        if (body.started) body.fail(cause, isKafkaIpcError(error, 'KIPC_TIMEOUT') || isKafkaIpcError(error, 'KIPC_CANCELLED'))
        else {
          trace?.close(cause)
          reject(cause)
        }
      },
    })
  } catch (error) {
    // As fetch does: a signal aborted before the call rejects with its reason.
    const cause = signal?.aborted === true ? (signal.reason as unknown) : error
    trace?.close(cause)
    throw cause
  }
  return promise
}


/** A Web Response from an answer; headers a Response refuses are the responder's protocol error. */
function webResponse(body: ReadableStream<Uint8Array> | Uint8Array | null, status: number, headers: [string, string][], buffered = false): Response {
  try {
    // A whole reply's bytes stay as they are until read: see bufferedResponse.
    if (buffered && body instanceof Uint8Array) return bufferedResponse(body, { status, headers })
    return new Response(body, { status, headers })
  } catch (error) {
    throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', `The answer cannot be read as an HTTP response: ${(error as Error).message}`, { cause: error })
  }
}

/** The answers of one fetch after the first, fed into its Response's body. */
class BodyFeed {
  readonly #deps: StreamDeps
  readonly #service: string
  readonly #trace: OpenTrace | undefined
  exchange: Exchange | undefined
  started = false
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  #ndjson = false
  #nextSeq = 0
  #responder: string | undefined
  #done = false
  /** The window this fetch announced, and until when credit is worth sending. */
  readonly #window: number | undefined
  readonly #deadline: number
  /** Credit accounting: undefined until the first item says whether the responder applies the window, null when it does not. */
  #grants: CreditGrants | null | undefined
  /** Items put into the body so far. */
  #enqueued = 0

  constructor(deps: StreamDeps, service: string, trace: OpenTrace | undefined, window: number | undefined, deadline: number) {
    this.#deps = deps
    this.#service = service
    this.#trace = trace
    this.#window = window
    this.#deadline = deadline
  }

  /** The first answer: a whole Response, or the head of a streaming one. */
  first(answer: Answer, head: boolean): Response {
    // An answer whose body did not decode is still a body: fetch passes its bytes on as they came.
    const kind = answer.undecoded?.kind ?? answer.kind
    const status = answer.undecoded === undefined ? (answer.status ?? (kind === 'error' ? 500 : 200)) : (answer.undecoded.status ?? 200)
    if (status < 200 || status > 599) throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', `${this.#service} answered with status ${String(status)}; a final status is 200 to 599.`)
    const headers = answer.wireHeaders === undefined ? [] : toHeaderList(answer.wireHeaders, answerContentType(answer, this.#deps.policy.codec))
    const bodiless = head || nullBodyStatuses.has(status)
    if (kind === 'reply' || kind === 'error') {
      this.end(kind === 'error' ? remoteError(answer.service ?? this.#service, status, answer.body) : undefined)
      return webResponse(bodiless || answer.raw === undefined || answer.raw.byteLength === 0 ? null : answer.raw, status, headers, true)
    }
    this.started = true
    // A typed stream's items are values, sent as lines of JSON; a streamed HTTP body's are its bytes.
    this.#ndjson = answer.chunk !== true
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        // Called as the reader takes items while fewer than a window wait: the reader's progress.
        pull: () => {
          this.#countReads()
        },
        cancel: () => {
          this.#cancelResponder()
          this.end(undefined)
        },
      },
      // Items wait in the body up to a window: its queue's length tells how many the reader took.
      { highWaterMark: this.#window ?? 1 },
    )
    const response = webResponse(bodiless ? null : stream, status, this.#ndjson ? [...headers.filter(([name]) => name !== 'content-type'), ['content-type', 'application/x-ndjson']] : headers)
    this.take(answer)
    return response
  }

  /** Every answer after the first, in inbox order: items into the body, the end closes it. */
  take(answer: Answer): void {
    if (this.#done) return
    if (answer.replyTo !== undefined) this.#responder = answer.replyTo
    switch (answer.undecoded?.kind === 'item' ? 'item' : answer.kind) {
      case 'item':
        if (answer.seq !== undefined) {
          if (answer.seq < this.#nextSeq) return
          this.#nextSeq = answer.seq + 1
        }
        if (this.#grants === undefined) {
          // The first item decides: it says whether its responder applies the window.
          this.#grants = grantsForStream(this.#window, answer.wireHeaders === undefined ? undefined : envelopeField(answer.wireHeaders, wireHeader.window))
        }
        this.#controller?.enqueue(this.#chunk(answer))
        this.#enqueued++
        this.#countReads()
        return
      case 'end':
        this.#controller?.close()
        this.end(undefined)
        return
      case 'error': {
        const error = remoteError(answer.service ?? this.#service, answer.status, answer.body)
        this.#controller?.error(error)
        this.end(error)
        return
      }
      case 'reply':
        this.fail(new KafkaIpcError('KIPC_PROTOCOL_ERROR', `${this.#service} sent a reply in the middle of a stream.`), true)
    }
  }

  /** The body fails locally: the deadline, the signal, the client closing. */
  fail(error: unknown, tellResponder: boolean): void {
    if (this.#done) return
    if (tellResponder) this.#cancelResponder()
    this.#controller?.error(error)
    this.end(error)
  }

  /** The exchange is over: forget it and close its trace. */
  end(error: unknown): void {
    if (this.#done) return
    this.#done = true
    this.exchange?.release()
    this.#trace?.close(error)
  }

  /** Counts the items the reader took since last asked — those no longer queued — and sends credit when due. */
  #countReads(): void {
    const grants = this.#grants
    const controller = this.#controller
    if (grants === undefined || grants === null || controller === undefined || this.#done) return
    const queued = (this.#window ?? 1) - (controller.desiredSize ?? 0)
    for (let taken = this.#enqueued - queued - grants.read; taken > 0; taken--) {
      const read = grants.took()
      if (read !== undefined) creditResponder(this.#deps, this.#responder, this.exchange, read, this.#deadline)
    }
  }

  #chunk(answer: Answer): Uint8Array {
    if (!this.#ndjson || answer.undecoded !== undefined) return answer.raw ?? new Uint8Array(0)
    return encoder.encode(`${JSON.stringify(answer.body ?? null)}\n`)
  }

  #cancelResponder(): void {
    cancelResponder(this.#deps, this.#responder, this.exchange)
  }
}
