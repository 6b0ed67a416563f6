import { KafkaIpcError } from './kafka-ipc-error.ts'
import { remoteError } from './protocol/error-body.ts'
import { wireHeader } from './protocol/envelope.ts'
import { envelopeField } from './protocol/packed-envelope.ts'
import type { Answer } from './pending-calls.ts'
import { type CreditGrants, grantsForStream } from './stream-credit.ts'

/** What a {@link RemoteStream} needs from its client. */
export interface RemoteStreamHooks<T> {
  /** Registers the call and sends the request; called on the first next(). */
  start(stream: RemoteStream<T>): Promise<void>
  /** Tells the responder to stop (a cancel message to its inbox, once known). */
  cancel(responder: string | undefined): void
  /** Forgets the call: timer, pending entry, abort listener. */
  release(): void
  /** Checks an item against the contract. */
  validateItem(body: unknown): T | Promise<T>
  /**
   * The flow-control window the request announced (`kipc-window`), when it announced one: credit
   * is then sent as the reader goes, once the responder's items say it applies the window.
   */
  readonly window?: number | undefined
  /** Tells the responder the reader has taken `read` items in all (a credit to its inbox, once known). */
  credit?(responder: string | undefined, read: number): void
  /** The service asked, for errors. */
  readonly service: string
}

/**
 * The caller's side of a stream: an async iterator over the items one responder sends, in order,
 * ending cleanly at the end marker or with the responder's error after the items sent before it.
 * Leaving early (`break`, `return()`, an AbortSignal) tells the responder to stop.
 *
 * Items wait in memory until read. With flow control (the policy's `streamWindow`, announced on
 * the request and applied by the responder) at most a window of them wait: the reader's progress
 * goes back as credit every half window, and a responder that is a window ahead waits for it.
 * Without it (a responder from before flow control, or a window of 0) a reader much slower than
 * its responder holds every item sent.
 */
export class RemoteStream<T> implements AsyncIterableIterator<T> {
  readonly #hooks: RemoteStreamHooks<T>
  readonly #buffer: Answer[] = []
  #wake: (() => void) | undefined
  #failure: Error | undefined
  #started = false
  #finished = false
  #responder: string | undefined
  #nextSeq = 0
  #buffered = 0
  /** Credit accounting: undefined until the first item says whether the responder applies a window, null when it does not. */
  #grants: CreditGrants | null | undefined

  constructor(hooks: RemoteStreamHooks<T>) {
    this.#hooks = hooks
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /**
   * Items arrived and not yet read: at most the flow-control window when the responder applies
   * one, whatever the reader's pace.
   *
   * @example
   * ```ts
   * const fares = client.stream(search, { body })
   * for await (const fare of fares) console.log(fare, fares.buffered)
   * ```
   */
  get buffered(): number {
    return this.#buffered
  }

  /** An answer for this stream arrived in the inbox. */
  receive(answer: Answer): void {
    if (this.#finished) return
    if (answer.kind === 'item') this.#buffered++
    this.#buffer.push(answer)
    this.#wakeReader()
  }

  /** The stream failed locally (deadline, cancel, shutdown): the reader gets `error` next. */
  fail(error: Error, tellResponder: boolean): void {
    if (this.#finished || this.#failure !== undefined) return
    this.#failure = error
    if (tellResponder) this.#hooks.cancel(this.#responder)
    this.#wakeReader()
  }

  async next(): Promise<IteratorResult<T>> {
    if (!this.#started) {
      this.#started = true
      try {
        await this.#hooks.start(this)
      } catch (error) {
        this.#finish()
        throw error
      }
    }
    for (;;) {
      if (this.#finished) return { done: true, value: undefined }
      const answer = this.#buffer.shift()
      if (answer !== undefined) {
        if (answer.kind === 'item') this.#buffered--
        const result = await this.#take(answer)
        if (result !== undefined) return result
        continue
      }
      if (this.#failure !== undefined) {
        this.#finish()
        throw this.#failure
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }

  /** Leaving early: the responder is told to stop and its generator's `finally` runs. */
  return(): Promise<IteratorResult<T>> {
    if (!this.#finished) {
      if (this.#started) this.#hooks.cancel(this.#responder)
      this.#finish()
    }
    return Promise.resolve({ done: true, value: undefined })
  }

  /** Ends the stream early with KIPC_CANCELLED for a reader waiting in next(). */
  cancel(): void {
    this.fail(new KafkaIpcError('KIPC_CANCELLED', `The stream from ${this.#hooks.service} was cancelled by the caller.`), true)
  }

  async #take(answer: Answer): Promise<IteratorResult<T> | undefined> {
    if (answer.replyTo !== undefined) this.#responder = answer.replyTo
    switch (answer.kind) {
      case 'item': {
        // A redelivered item (same seq) is skipped; order is the inbox partition's order.
        if (answer.seq !== undefined) {
          if (answer.seq < this.#nextSeq) return undefined
          this.#nextSeq = answer.seq + 1
        }
        let value: T
        try {
          value = await this.#hooks.validateItem(answer.body)
        } catch (error) {
          this.#hooks.cancel(this.#responder)
          this.#finish()
          throw error
        }
        this.#took(answer)
        return { done: false, value }
      }
      case 'end':
        this.#finish()
        return { done: true, value: undefined }
      case 'error':
        this.#finish()
        throw remoteError(answer.service ?? this.#hooks.service, answer.status, answer.body)
      case 'reply':
        this.#finish()
        throw new KafkaIpcError('KIPC_PROTOCOL_ERROR', `${this.#hooks.service} answered a stream request with a single reply; is the route a stream on both sides?`)
    }
  }

  /** The reader takes an item: credit goes back when due, if the responder applies a window. */
  #took(answer: Answer): void {
    if (this.#grants === undefined) {
      // The first item decides: it says whether its responder applies the window.
      this.#grants = grantsForStream(this.#hooks.window, answer.wireHeaders === undefined ? undefined : envelopeField(answer.wireHeaders, wireHeader.window))
    }
    if (this.#grants === null) return
    const read = this.#grants.took()
    if (read !== undefined) this.#hooks.credit?.(this.#responder, read)
  }

  #finish(): void {
    if (this.#finished) return
    this.#finished = true
    this.#buffer.length = 0
    this.#buffered = 0
    this.#hooks.release()
    this.#wakeReader()
  }

  #wakeReader(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
