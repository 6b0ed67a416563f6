import { KafkaIpcError } from './kafka-ipc-error.ts'
import { BusyTicker } from './busy-ticker.ts'
import { CreditWindow } from './stream-credit.ts'
import { IdTable } from './id-table.ts'

/**
 * The requests this instance is running now, by request id, each with the controller of its
 * handler's signal. The responder adds a request when its handler starts and removes it when the
 * handler settles; a `cancel` read from the instance's inbox aborts the one it names, a `credit`
 * lets the stream it names send on.
 *
 * @example
 * ```ts
 * const controller = running.start(request.id, deadline)
 * try { await handler(request, { signal: controller.signal }) } finally { running.finish(request.id) }
 * running.cancel(id) // from the inbox: aborts that handler with KIPC_CANCELLED
 * ```
 */
export class RunningRequests {
  /**
   * An {@link IdTable}, not a `Map`: every request with an asynchronous handler is added and
   * deleted, and a finished one must leave nothing that keeps its controller alive (id-table.ts).
   */
  readonly #controllers = new IdTable<RunningController>()
  /** The flow-controlled streams among them (docs/protocol.md §9): a `credit` naming one reaches it. */
  readonly #windows = new Map<string, CreditWindow>()
  readonly #deadlines: BusyTicker

  /** @param tickMs how often deadlines are checked: a handler's signal aborts at most this long after its deadline. */
  constructor(tickMs = 25) {
    this.#deadlines = new BusyTicker(tickMs, () => this.#expire())
  }

  /** How many handlers run now. */
  get size(): number {
    return this.#controllers.size
  }

  /**
   * Registers a request whose handler starts now; its signal aborts on a cancel naming it, and
   * with KIPC_TIMEOUT once `deadline` (epoch ms) passes. One timer watches every running
   * request's deadline — not a timer set and cleared per request, thousands a second.
   */
  start(id: string, deadline = Number.POSITIVE_INFINITY): RunningController {
    const controller = this.prepare(deadline)
    this.track(id, controller)
    return controller
  }

  /**
   * The controller of a request whose handler starts now, not registered yet. A handler that
   * answers synchronously is done before a cancel (read from the inbox in a later turn of the
   * event loop) or a deadline check could reach it, so the quick way registers only a handler that
   * does not ({@link track}): most requests then skip a map entry set and deleted
   * (docs/performance.md).
   *
   * @example
   * ```ts
   * const controller = running.prepare(deadline)
   * const returned = handler(request, { signal: controller.signal })
   * if (isThenable(returned)) running.track(request.id, controller)
   * ```
   */
  prepare(deadline = Number.POSITIVE_INFINITY): RunningController {
    return new RunningRequest(deadline)
  }

  /** Registers a prepared request under `id` — a cancel naming it aborts it, its deadline is watched — until {@link finish}. Registering it again changes nothing. */
  track(id: string, controller: RunningController): void {
    this.#controllers.set(id, controller)
    if (controller.deadline !== Number.POSITIVE_INFINITY) this.#deadlines.start()
  }

  /** Aborts the handlers past their deadline; false once nothing runs, which stops the watch. */
  #expire(): boolean {
    const now = Date.now()
    // Found first, aborted after: an aborted handler may finish, and leave the table, at once.
    const due: RunningController[] = []
    this.#controllers.forEach((controller) => {
      if (controller.deadline <= now && !controller.signal.aborted) due.push(controller)
    })
    for (const controller of due) controller.abort(new KafkaIpcError('KIPC_TIMEOUT', 'The deadline passed.'))
    return this.#controllers.size > 0
  }

  /** The handler of `id` settled: a later cancel naming it finds nothing. */
  finish(id: string): void {
    // Nothing registered (synchronous handlers only): no lookup of an id that is not there.
    if (this.#controllers.size > 0) this.#controllers.delete(id)
    if (this.#windows.size > 0) this.#windows.delete(id)
  }

  /** The credit window of the stream request `id` answers, until the request finishes: credits naming it reach it. */
  limit(id: string, window: number): CreditWindow {
    const credit = new CreditWindow(window)
    this.#windows.set(id, credit)
    return credit
  }

  /** A `credit` from the inbox: the caller of stream `id` has read `read` items; naming nothing running (or no count), it is ignored. */
  credit(id: string | undefined, read: number | undefined): void {
    if (id === undefined || read === undefined) return
    this.#windows.get(id)?.grant(read)
  }

  /**
   * Aborts every handler running now with `reason` — a service shutting down. One walk over the
   * running requests at shutdown, rather than a listener on the shutdown signal added and removed
   * by every request.
   */
  abortAll(reason: Error): void {
    for (const controller of this.#controllers.values()) controller.abort(reason)
  }

  /** Aborts the handler of request `id`, if it runs here; a cancel naming nothing running is ignored. */
  cancel(id: string | undefined): void {
    if (id === undefined) return
    this.#controllers.get(id)?.abort(new KafkaIpcError('KIPC_CANCELLED', 'The caller cancelled.'))
  }
}

/** A running request's controller, with the deadline (epoch ms) its signal aborts at. */
export interface RunningController extends AbortController {
  readonly deadline: number
}

/** A running request's controller, with the deadline its signal aborts at. */
class RunningRequest extends AbortController implements RunningController {
  readonly deadline: number

  constructor(deadline: number) {
    super()
    this.deadline = deadline
  }
}
