import { KafkaIpcError } from './kafka-ipc-error.ts'

/**
 * The requests this instance is running now, by request id, each with the controller of its
 * handler's signal. The responder adds a request when its handler starts and removes it when the
 * handler settles; a `cancel` read from the instance's inbox aborts the one it names.
 *
 * @example
 * ```ts
 * const controller = running.start(request.id)
 * try { await handler(request, { signal: controller.signal }) } finally { running.finish(request.id) }
 * running.cancel(id) // from the inbox: aborts that handler with KIPC_CANCELLED
 * ```
 */
export class RunningRequests {
  readonly #controllers = new Map<string, AbortController>()

  /** How many handlers run now. */
  get size(): number {
    return this.#controllers.size
  }

  /** Registers a request whose handler starts now; its signal aborts on a cancel naming it. */
  start(id: string): AbortController {
    const controller = new AbortController()
    this.#controllers.set(id, controller)
    return controller
  }

  /** The handler of `id` settled: a later cancel naming it finds nothing. */
  finish(id: string): void {
    this.#controllers.delete(id)
  }

  /** Aborts the handler of request `id`, if it runs here; a cancel naming nothing running is ignored. */
  cancel(id: string | undefined): void {
    if (id === undefined) return
    this.#controllers.get(id)?.abort(new KafkaIpcError('KIPC_CANCELLED', 'The caller cancelled.'))
  }
}
