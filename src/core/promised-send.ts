import type { SendReceipt } from './transport.ts'

/**
 * A send's receipt that settles a promise: made with its resolvers, it resolves on `sent` and
 * rejects on `unsent` — with the error as told, or as `typed` makes it. What lets a send told
 * through a receipt ({@link Transport.sendAndTell}) still be awaited, with one promise and no
 * second one chained to type its failure.
 *
 * @example
 * ```ts
 * const { promise, resolve, reject } = Promise.withResolvers<undefined>()
 * transport.sendAndTell(messages, options, new PromisedSend(resolve, reject, sendFailure))
 * await promise // rejects with a KafkaIpcError
 * ```
 */
export class PromisedSend implements SendReceipt {
  readonly #resolve: (value: undefined) => void
  readonly #reject: (error: unknown) => void
  readonly #typed: ((error: unknown) => unknown) | undefined

  constructor(resolve: (value: undefined) => void, reject: (error: unknown) => void, typed?: (error: unknown) => unknown) {
    this.#resolve = resolve
    this.#reject = reject
    this.#typed = typed
  }

  sent(): void {
    this.#resolve(undefined)
  }

  unsent(error: unknown): void {
    this.#reject(this.#typed === undefined ? error : this.#typed(error))
  }
}
