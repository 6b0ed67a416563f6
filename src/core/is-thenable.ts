/**
 * Whether a handler's or a hook's result is something to wait for. The pipelines await only
 * then: a synchronous answer goes on at once, without a microtask per message.
 *
 * @example
 * ```ts
 * let result = handler(request, context)
 * if (isThenable(result)) result = await result
 * ```
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}
