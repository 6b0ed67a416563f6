import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Waits before the `attempt`-th retry (0-based): exponential from `baseMs` up to `maxMs`, with
 * "equal jitter" (half fixed, half random) so that a fleet of instances that lost the same broker
 * at the same moment does not come back to it in lockstep. Resolves early, without throwing, when
 * `signal` aborts.
 */
export async function backoff(attempt: number, signal?: AbortSignal, baseMs = 100, maxMs = 2_000): Promise<void> {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20))
  const delay = ceiling / 2 + Math.random() * (ceiling / 2)
  await sleep(delay, undefined, signal === undefined ? undefined : { signal }).catch(() => undefined)
}
