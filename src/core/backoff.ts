import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The wait before retry `attempt` (0-based): exponential from `baseMs` up to `maxMs`, with "equal
 * jitter" (half fixed, half random) so that a fleet of instances that failed at the same moment —
 * lost the same broker, saw the same dependency go down — does not come back in lockstep.
 *
 * @example
 * ```ts
 * backoffDelay(0, 100, 2_000) // 50–100
 * backoffDelay(3, 100, 2_000) // 400–800
 * ```
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30))
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/**
 * Waits {@link backoffDelay}; resolves early, without throwing, when `signal` aborts.
 *
 * @example
 * ```ts
 * for (let attempt = 0; !signal.aborted; attempt++) {
 *   if (await tryConnect()) break
 *   await backoff(attempt, signal)
 * }
 * ```
 */
export async function backoff(attempt: number, signal?: AbortSignal, baseMs = 100, maxMs = 2_000): Promise<void> {
  await sleep(backoffDelay(attempt, baseMs, maxMs), undefined, signal === undefined ? undefined : { signal }).catch(() => undefined)
}
