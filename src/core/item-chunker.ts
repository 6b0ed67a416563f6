import { isKafkaIpcError } from './kafka-ipc-error.ts'

/** Sends one chunk of stream items: `item` for one, `items` (an array body) for several. */
export type ChunkSender = (items: readonly unknown[], firstSeq: number) => Promise<void>

/** How many items one record may carry, at most. */
export const maxItemsPerRecord = 1024

/**
 * Natural batching of a stream's items into records. While one record is on its way to the
 * broker, the items the generator yields meanwhile gather into the next record; an idle stream
 * sends each item at once (no linger), a fast one sends hundreds per record — the per-record
 * envelope, headers and produce round trip are paid once per chunk instead of once per item.
 *
 * At most one record is in flight and at most {@link maxItemsPerRecord} items wait, so a slow
 * broker slows the generator instead of filling memory. A chunk the policy's byte limit refuses
 * (KIPC_PAYLOAD_TOO_LARGE) is split in halves; a single item too large fails the stream as before.
 *
 * @example
 * ```ts
 * const chunker = new ItemChunker((items, firstSeq) => send(items, firstSeq))
 * for await (const item of generator) await chunker.add(item)
 * const count = await chunker.finish() // every item acknowledged; `count` is the end's seq
 * ```
 */
export class ItemChunker {
  readonly #send: ChunkSender
  #waiting: unknown[] = []
  #nextSeq = 0
  #flight: Promise<void> | undefined
  #failure: { error: unknown } | undefined

  constructor(send: ChunkSender) {
    this.#send = send
  }

  /** Queues an item; resolves at once unless a full chunk is already waiting behind a record in flight. */
  async add(item: unknown): Promise<void> {
    this.#throwIfFailed()
    this.#waiting.push(item)
    if (this.#flight === undefined) this.#launch()
    else if (this.#waiting.length >= maxItemsPerRecord) await this.#flight
    this.#throwIfFailed()
  }

  /** Sends what waits and resolves once every item is acknowledged, with the number of items sent. */
  async finish(): Promise<number> {
    while (this.#flight !== undefined) await this.#flight
    this.#throwIfFailed()
    return this.#nextSeq
  }

  /**
   * Stops sending: items still waiting are dropped (a record already in flight may still arrive).
   * For a cancelled stream, where nothing more may be sent.
   */
  abandon(): void {
    this.#waiting = []
    this.#failure ??= { error: new Error('The stream was abandoned.') }
  }

  #launch(): void {
    const items = this.#waiting
    this.#waiting = []
    const firstSeq = this.#nextSeq
    this.#nextSeq += items.length
    this.#flight = this.#sendSplitting(items, firstSeq)
      .catch((error: unknown) => {
        this.#failure ??= { error }
      })
      .finally(() => {
        this.#flight = undefined
        if (this.#failure === undefined && this.#waiting.length > 0) this.#launch()
      })
  }

  async #sendSplitting(items: readonly unknown[], firstSeq: number): Promise<void> {
    try {
      await this.#send(items, firstSeq)
    } catch (error) {
      if (items.length < 2 || !isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE')) throw error
      const half = Math.ceil(items.length / 2)
      await this.#sendSplitting(items.slice(0, half), firstSeq)
      await this.#sendSplitting(items.slice(half), firstSeq + half)
    }
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error
  }
}
