import { performance } from 'node:perf_hooks'
import { type Linked, LinkedList } from './linked-list.ts'

/**
 * What waits in {@link DeadlineLists}: told when its deadline passes, unless removed first. Its
 * links are the lists' own, kept on the entry itself so that waiting allocates nothing.
 */
export interface Expiring extends Linked<Expiring> {
  /** The deadline passed (it is no longer in its list). */
  expire(): void
  /** When it expires, on the `performance.now()` clock; set by the list. */
  expiresAt: number
  /** The list it waits in; set by the list. */
  expiringList: ExpiringList | undefined
}

/** The list an {@link Expiring} waits in, as the entry sees it. */
export interface ExpiringList {
  unlink(entry: Expiring): void
}

/**
 * The deadlines of a client's calls: one list per timeout, and one timer per list rather than one
 * per call. Calls with the same timeout expire in the order they started, so each list is kept in
 * that order by appending, a call that ends is unlinked where it stands, and the list's one timer
 * is armed for its oldest entry — as Node's own timer lists are, without a `Timeout` object, its
 * argument array and a timer list entry made and cleared for every call (docs/performance.md).
 *
 * @example
 * ```ts
 * const deadlines = new DeadlineLists()
 * deadlines.add(exchange, 30_000) // exchange.expire() in 30 s…
 * deadlines.remove(exchange) // …unless it is answered first
 * ```
 */
export class DeadlineLists {
  readonly #lists = new Map<number, DeadlineList>()

  /** How many entries wait, over every list. */
  get size(): number {
    let size = 0
    for (const list of this.#lists.values()) size += list.size
    return size
  }

  /** `entry` expires `timeoutMs` from now, unless {@link remove}d first. */
  add(entry: Expiring, timeoutMs: number): void {
    let list = this.#lists.get(timeoutMs)
    if (list === undefined) {
      list = new DeadlineList(timeoutMs, this.#lists)
      this.#lists.set(timeoutMs, list)
    }
    list.append(entry)
  }

  /** `entry` no longer waits (nothing happens when it does not). */
  remove(entry: Expiring): void {
    entry.expiringList?.unlink(entry)
  }
}

/** The entries of one timeout, oldest first, and the timer armed for the oldest. */
class DeadlineList implements ExpiringList {
  readonly #timeoutMs: number
  /** The lists it is one of, which it leaves once empty. */
  readonly #lists: Map<number, DeadlineList>
  /** Oldest first: appended as they start, all with the same timeout. */
  readonly #waiting = new LinkedList<Expiring>()
  #timer: NodeJS.Timeout | undefined

  constructor(timeoutMs: number, lists: Map<number, DeadlineList>) {
    this.#timeoutMs = timeoutMs
    this.#lists = lists
  }

  get size(): number {
    return this.#waiting.size
  }

  append(entry: Expiring): void {
    entry.expiresAt = performance.now() + this.#timeoutMs
    entry.expiringList = this
    this.#waiting.append(entry)
    // A timer kept from before was armed for an entry older than this one: it fires in time for it.
    if (this.#timer === undefined) this.#timer = setTimeout(expireDue, this.#timeoutMs, this)
    else if (this.#waiting.size === 1) this.#timer.ref()
  }

  unlink(entry: Expiring): void {
    this.#waiting.unlink(entry)
    entry.expiringList = undefined
    // An empty list keeps its timer, unreferenced — a process with no call waiting may exit — for
    // the next call: one call at a time empties the list after every call, and clearing the timer,
    // dropping the list and making both again per call took 510–870 ns of an add and remove where
    // keeping them takes 70–80 (a loop of 300,000; docs/performance.md). It leaves the lists when
    // its timer finds it empty.
    if (this.#waiting.size === 0) this.#timer?.unref()
  }

  /**
   * The timer fired: every entry due expires, oldest first, and the timer is armed again for the
   * oldest left. Node's timers run on the event loop's clock, which may lag `performance.now()`
   * by the turn in progress, so an entry less than a millisecond from its deadline counts as due.
   */
  expireDue(): void {
    this.#timer = undefined
    const now = performance.now() + 1
    for (let entry = this.#waiting.first; entry !== undefined && entry.expiresAt <= now; entry = this.#waiting.first) {
      this.unlink(entry)
      entry.expire()
    }
    // An entry appended by an expire() above armed a timer for itself: the oldest may be due sooner.
    clearTimeout(this.#timer)
    const oldest = this.#waiting.first
    this.#timer = oldest === undefined ? undefined : setTimeout(expireDue, Math.max(1, Math.ceil(oldest.expiresAt - performance.now())), this)
    // Nothing waited for a whole timeout: the list leaves the lists, so timeouts no longer used do not stay.
    if (oldest === undefined && this.#lists.get(this.#timeoutMs) === this) this.#lists.delete(this.#timeoutMs)
  }
}

/** The timers' callback: one function for every list, given its list. */
function expireDue(list: DeadlineList): void {
  list.expireDue()
}
