import type { KafkaIpcError } from './kafka-ipc-error.ts'
import type { QueryInit } from './http/query.ts'
import type { Schema } from './schema.ts'
import type { Codec } from './protocol/codec.ts'
import { impliedContentType } from './protocol/bodies.ts'
import { IdTable } from './id-table.ts'

/**
 * Calls awaiting answers in this instance's inbox, by request id. Each entry knows how to take
 * an answer and how to give up; the table only routes and counts.
 */
export interface PendingEntry {
  /** The service (or gather name) asked, for errors. */
  readonly target: string
  /** Take a `reply` as its bytes (`raw`), not decoded: `fetch()` hands them on as they are. */
  readonly rawReplies?: boolean
  /** An answer for this entry arrived: reply, item, end or error. */
  receive(answer: Answer): void
  /** The call ends here, without an answer: this instance shuts down. A local error, never the other service's. */
  fail(error: KafkaIpcError): void
}

/** An answer read from the inbox, decoded but not yet validated. */
export interface Answer {
  readonly kind: 'reply' | 'item' | 'end' | 'error'
  readonly body: unknown
  readonly status: number | undefined
  readonly service: string | undefined
  readonly seq: number | undefined
  /** The record value as received; absent on the items a batched `items` record was split into. */
  readonly raw?: Uint8Array | undefined
  /** A piece of a streamed HTTP body (`kipc-stream: bytes`): `body` is the bytes, never decoded. */
  readonly chunk?: boolean
  /**
   * Set on the 502 error that stands for an answer whose body did not decode: what that answer
   * was, so `fetch()` — which wants the bytes, not a value — can pass it on as it came.
   */
  readonly undecoded?: { readonly kind: 'reply' | 'item' | 'end' | 'items'; readonly status: number | undefined }
  /** The responder's inbox, carried by stream items so a cancel reaches the right instance. */
  readonly replyTo: string | undefined
  /** The record's headers as received, envelope included; read only when a hook asks for them. */
  readonly wireHeaders?: ReadonlyMap<string, string> | undefined
}

/**
 * The `content-type` an answer's reader is told when the record carried none: the codec's, for an
 * answer with a body (docs/protocol.md §1; `impliedContentType` in bodies.ts).
 *
 * @example
 * ```ts
 * userHeaders(answer.wireHeaders, answerContentType(answer, policy.codec)) // { 'content-type': 'application/json', … }
 * ```
 */
export function answerContentType(answer: Answer, codec: Codec): string | undefined {
  if (answer.wireHeaders === undefined) return undefined
  return impliedContentType(answer.wireHeaders, answer.raw === undefined ? answer.body !== undefined : answer.raw.byteLength > 0, codec)
}

/** Counters a client exposes through stats(). */
export interface CallCounters {
  /** Answers that arrived after their call had timed out, been cancelled, or completed, and copies of answers already taken. */
  lateAnswers: number
  /** Inbox messages that broke the protocol and were dropped. */
  malformedMessages: number
  timeouts: number
}

/**
 * The calls this instance waits on, by request id. An {@link IdTable}, not a `Map`: a finished
 * call must leave nothing behind that keeps it, its promise and its answer alive past young
 * collections (id-table.ts).
 */
export class PendingCalls {
  readonly #entries = new IdTable<PendingEntry>()
  readonly counters: CallCounters = { lateAnswers: 0, malformedMessages: 0, timeouts: 0 }

  get size(): number {
    return this.#entries.size
  }

  /**
   * The call `correlation` names, or undefined when none waits for it. The inbox looks a record's
   * call up once, to know whether it takes its reply undecoded ({@link PendingEntry.rawReplies}),
   * and hands the answer to what it found ({@link deliverTo}).
   */
  entryOf(correlation: string | undefined): PendingEntry | undefined {
    return correlation === undefined ? undefined : this.#entries.get(correlation)
  }

  /** True when a call with this request id waits for its answers. */
  has(id: string): boolean {
    return this.#entries.has(id)
  }

  add(id: string, entry: PendingEntry): void {
    this.#entries.set(id, entry)
  }

  delete(id: string): void {
    this.#entries.delete(id)
  }

  /** Hands an answer to its call; counts it as late when the call is gone. */
  deliver(correlation: string | undefined, answer: Answer): void {
    this.deliverTo(this.entryOf(correlation), answer)
  }

  /** Hands an answer to the call {@link entryOf} found, in the same turn; counts it as late when there was none. */
  deliverTo(entry: PendingEntry | undefined, answer: Answer): void {
    if (entry === undefined) {
      this.counters.lateAnswers++
      return
    }
    entry.receive(answer)
  }

  /** Ends every pending call with `error` (shutdown), and forgets them. */
  failAll(error: KafkaIpcError): void {
    const entries = this.#entries.values()
    this.#entries.clear()
    for (const entry of entries) entry.fail(error)
  }
}

/** Options shared by every kind of call. */
export interface CallOptions {
  /** Milliseconds until the deadline; defaults to the policy's timeoutMs. */
  readonly timeout?: number
  /** The query string: `{ from: 'WAW' }`, `URLSearchParams` or `'from=WAW'`; the handler reads `request.query`. */
  readonly query?: QueryInit
  /** Headers for the handler (lowercase tokens; `kipc-*` is reserved). A `content-type` chooses how the body travels. */
  readonly headers?: Readonly<Record<string, string>>
  /** Ordering key: requests with the same key are handled one at a time, in order. */
  readonly key?: string
  /**
   * The request's message id (`kipc-id`), when the caller chooses it — an idempotency key. A
   * service handles each id once per partition within its deduplication window (so send a retry
   * with the same `key`: it lands in the same partition); the copy is dropped, not answered.
   * 16–128 characters of `[A-Za-z0-9_.:-]`, unguessable (it is what a cancel names); random by default.
   */
  readonly id?: string
  /** Cancels the call: it rejects with KIPC_CANCELLED (a stream's responder is told to stop). */
  readonly signal?: AbortSignal
}

/** A schema to check answers with, or none when the policy turns reply validation off. */
export type AnswerSchema = Schema | undefined
