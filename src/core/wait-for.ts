/** What {@link waitFor} resolves with when the time ran out first. */
export const timeUp = Symbol('time up')

/**
 * `promise`'s value if it settles within `ms`, else {@link timeUp}; the timer is cleared either way.
 *
 * @example
 * ```ts
 * const lag = await waitFor(service.lag(), 2_000)
 * if (lag === timeUp) return []
 * ```
 */
export function waitFor<T>(promise: Promise<T>, ms: number): Promise<T | typeof timeUp> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<typeof timeUp>((resolve) => {
    timer = setTimeout(resolve, ms, timeUp)
  })
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer)
  })
}
