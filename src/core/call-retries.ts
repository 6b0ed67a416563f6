import { setTimeout as sleep } from 'node:timers/promises'
import { backoffDelay } from './backoff.ts'
import { isKafkaIpcError, KafkaIpcError } from './kafka-ipc-error.ts'
import { newMessageId } from './protocol/message-id.ts'

/**
 * How {@link Client.call} and {@link Client.request} retry: up to `attempts` sends of the same
 * request under the same message id, each waiting at most `attemptTimeout` ms, with a doubling,
 * jittered pause between them — all within the call's own `timeout`, which is the deadline every
 * attempt gives the responder. Only a retryable failure is
 * tried again: a timeout, `KIPC_UNAVAILABLE`, a 503 or 429 answer — never a 4xx, a handler's error
 * or a cancel.
 *
 * Allowed for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS), and for others when the call
 * names its own `id` — an idempotency key. A service with a deduplication store runs the request
 * once and answers every attempt with its first reply (docs/reliability.md#deduplication).
 *
 * @example
 * ```ts
 * const seat = await client.call(getSeat, { params: { id: '1A' }, timeout: 3_000, retry: { attempts: 3 } })
 * ```
 */
export interface CallRetry {
  /** Sends in all, the first included: 2–10. Default 3. */
  readonly attempts?: number
  /** How long one attempt waits for its answer, in ms. Default: the call's timeout divided by `attempts`. */
  readonly attemptTimeout?: number
  /** The pause before the second attempt, in ms; it doubles after each (50–100 % of it, at random). Default 100. */
  readonly initialDelayMs?: number
  /** The longest pause, in ms. Default 2 000. */
  readonly maxDelayMs?: number
}

const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])

/**
 * Runs `attempt` — one send of the request and the wait for its answer — again after a retryable
 * failure, with the same message id, until it succeeds, a failure is not retryable, the attempts
 * are used up, or no time for another is left before the call's deadline (`timeout` ms from now).
 *
 * @example
 * ```ts
 * const reply = await withRetries('GET', { attempts: 3 }, undefined, 3_000, undefined, (id, timeout, deadline) => send(id, timeout, deadline))
 * ```
 */
export async function withRetries<T>(method: string, retry: CallRetry, id: string | undefined, timeout: number, signal: AbortSignal | undefined, attempt: (id: string, timeout: number, deadline: number) => Promise<T>): Promise<T> {
  const { attempts, attemptTimeout, initialDelayMs, maxDelayMs } = checkRetry(retry, timeout)
  if (!idempotentMethods.has(method) && id === undefined) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `retry: ${method} is not idempotent; retry it only with an \`id\` of your own (an idempotency key), so that a service with a deduplication store runs it once.`)
  }
  const deadline = Date.now() + timeout
  const sameId = id ?? newMessageId()
  for (let sent = 1; ; sent++) {
    const left = deadline - Date.now()
    try {
      // Every attempt tells the responder the call's deadline, not its own: a first run still
      // going when an attempt gives up may finish, and a later attempt gets its reply.
      return await attempt(sameId, Math.max(1, Math.min(attemptTimeout, left)), deadline)
    } catch (error) {
      if (sent >= attempts || !isKafkaIpcError(error) || !error.retryable || signal?.aborted === true) throw error
      const pause = backoffDelay(sent - 1, initialDelayMs, maxDelayMs)
      // Another attempt needs time to be answered in: without it, this failure is the call's.
      if (deadline - Date.now() - pause < Math.min(attemptTimeout, 10)) throw error
      await sleep(pause, undefined, signal === undefined ? undefined : { signal }).catch(() => undefined)
      if ((signal as { readonly aborted: boolean } | undefined)?.aborted === true) throw error
    }
  }
}

function checkRetry(retry: CallRetry, timeout: number): Required<CallRetry> {
  const attempts = retry.attempts ?? 3
  const checked = { attempts, attemptTimeout: retry.attemptTimeout ?? Math.max(1, Math.floor(timeout / attempts)), initialDelayMs: retry.initialDelayMs ?? 100, maxDelayMs: retry.maxDelayMs ?? 2_000 }
  if (!Number.isInteger(attempts) || attempts < 2 || attempts > 10) throw invalid(`attempts must be an integer from 2 to 10, got ${JSON.stringify(retry.attempts)}`)
  for (const name of ['attemptTimeout', 'initialDelayMs', 'maxDelayMs'] as const) {
    const value = checked[name]
    if (!Number.isSafeInteger(value) || value < 1) throw invalid(`${name} must be a positive integer of milliseconds, got ${JSON.stringify(retry[name])}`)
  }
  return checked
}

function invalid(message: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_INVALID_ARGUMENT', `retry: ${message}.`)
}
