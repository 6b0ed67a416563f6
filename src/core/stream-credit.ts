/**
 * Stream flow control (docs/protocol.md §9, docs/reliability.md#stream-flow-control): a caller
 * announces a window of items (`kipc-window` on its request); its responder keeps at most that
 * many items sent and not yet read, and the caller reports what it has read (`credit` records
 * carrying the cumulative count) as its reader goes. Counted in items, not records: an `items`
 * record carrying several counts each, so the caller's buffer bound holds however they were
 * batched. Both sides' accounting live here; the records themselves are built by their callers.
 */

/**
 * The responder's side: how many items the stream may still send before it must wait for
 * credit. Sending with room left costs a comparison and no promise, so a stream whose caller
 * keeps up runs as it did without flow control.
 *
 * @example
 * ```ts
 * const credit = new CreditWindow(256)
 * for await (const item of generator) {
 *   const wait = credit.reserve(signal) // undefined while the window has room
 *   if (wait !== undefined) await wait  // credit, or the signal's reason (cancel, deadline, shutdown)
 *   await send(item)
 * }
 * credit.grant(128) // from a `credit` record: the caller has read 128 items
 * ```
 */
export class CreditWindow {
  /** The most items sent and not yet read. */
  readonly window: number
  #sent = 0
  #read = 0
  #waiter: (() => void) | undefined

  constructor(window: number) {
    this.window = window
  }

  /** Items counted as sent so far. */
  get sent(): number {
    return this.#sent
  }

  /** Items the caller has reported read (the highest count any credit carried). */
  get read(): number {
    return this.#read
  }

  /**
   * Counts one more item as sent. Returns undefined when the window had room for it; else a
   * promise that resolves once a credit makes room (the item then counts), or rejects with the
   * signal's reason when the signal aborts first — a caller that stopped reading holds the stream
   * here until its deadline, with no item sent past the window.
   */
  reserve(signal: AbortSignal): Promise<void> | undefined {
    if (this.#sent < this.#read + this.window) {
      this.#sent++
      return undefined
    }
    return this.#wait(signal)
  }

  /**
   * A credit arrived: the caller has read `read` items in all. Credits are cumulative, so a copy
   * or one overtaken by a later credit changes nothing; a count beyond what was sent (a
   * misbehaving caller) only removes the bound, as a caller without flow control would.
   */
  grant(read: number): void {
    if (read <= this.#read) return
    this.#read = read
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.()
  }

  async #wait(signal: AbortSignal): Promise<void> {
    while (this.#sent >= this.#read + this.window) {
      signal.throwIfAborted()
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.#waiter = undefined
          reject(signal.reason as Error)
        }
        this.#waiter = () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        }
        signal.addEventListener('abort', onAbort, { once: true })
      })
    }
    this.#sent++
  }
}

/**
 * The caller's side: counts the items its reader has taken and says when to tell the responder.
 * A credit goes every half window read, so the responder, which may run a whole window ahead,
 * finds room again before it has sent everything the reader has not yet reached — one `credit`
 * record per half window, not per item.
 *
 * @example
 * ```ts
 * const grants = new CreditGrants(256)
 * const count = grants.took() // after handing one item to the reader
 * if (count !== undefined) sendCredit(count) // every 128 items: the cumulative count read
 * ```
 */
export class CreditGrants {
  readonly #every: number
  #read = 0
  #granted = 0

  constructor(window: number) {
    this.#every = Math.max(1, Math.ceil(window / 2))
  }

  /** Items the reader has taken. */
  get read(): number {
    return this.#read
  }

  /** The reader took one more item: the count to send as credit when one is due, else undefined. */
  took(): number | undefined {
    this.#read++
    if (this.#read - this.#granted < this.#every) return undefined
    this.#granted = this.#read
    return this.#read
  }
}

/**
 * The caller's accounting for one stream, decided by its first item: {@link CreditGrants} for
 * the window the item says its responder applies (`kipc-window` on it), or null — no credit to
 * send — when the caller announced no window, or the responder does not apply it (one from
 * before flow control, which would take a credit for a malformed record).
 *
 * @example
 * ```ts
 * const grants = grantsForStream(policyWindow, firstItem.wireHeaders?.get(wireHeader.window))
 * ```
 */
export function grantsForStream(announced: number | undefined, applied: string | undefined): CreditGrants | null {
  return announced === undefined || applied === undefined ? null : new CreditGrants(Number(applied))
}
