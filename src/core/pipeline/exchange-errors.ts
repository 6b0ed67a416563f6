import { KafkaIpcError } from '../kafka-ipc-error.ts'
import type { Policy } from '../policy.ts'
import { topicNames } from '../protocol/topic-names.ts'
import type { ExchangeSpec } from './exchange.ts'

// What an exchange tells its caller when it ends without an answer: the words of its errors.

/**
 * What a timeout or a cancel waited for: `pricing to POST /quotes/:id`, `pricing to finish …`, `gather seat.hold`.
 *
 * @example
 * ```ts
 * waitingFor({ kind: 'call', service: 'pricing', method: 'POST', route: '/quotes/:id', … }) // 'pricing to POST /quotes/:id'
 * ```
 */
export function waitingFor(spec: Pick<ExchangeSpec, 'kind' | 'service' | 'gather' | 'method' | 'route'>): string {
  if (spec.gather !== undefined) return `gather ${spec.gather}`
  return `${spec.service ?? '?'} to ${spec.kind === 'stream' ? 'finish ' : ''}${spec.method} ${spec.route}`
}

/**
 * The error of a call whose signal aborted.
 *
 * @example
 * ```ts
 * cancelled('pricing to POST /quotes') // KIPC_CANCELLED: The call to pricing to POST /quotes was cancelled.
 * ```
 */
export function cancelled(what: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_CANCELLED', `The call to ${what} was cancelled.`)
}

/**
 * Timeouts become whole milliseconds on the wire; nonsense is refused before anything is sent.
 *
 * @example
 * ```ts
 * checkTimeout(1_500.2, policy.maxTimeoutMs) // 1501; NaN, 0 or more than the policy allows throw KIPC_INVALID_ARGUMENT
 * ```
 */
export function checkTimeout(timeout: number, max: number): number {
  if (!Number.isFinite(timeout) || timeout <= 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `timeout must be a positive number of milliseconds, got ${String(timeout)}.`)
  if (timeout > max) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `timeout ${String(timeout)} ms is longer than the policy allows (maxTimeoutMs ${max}).`)
  return Math.ceil(timeout)
}

/**
 * What a timeout can add about who consumes the service's requests (see ConsumerWatch).
 *
 * @example
 * ```ts
 * consumersNote(policy, 'pricing', 0) // ' No instance of pricing is consuming kipc.pricing.requests …'
 * ```
 */
export function consumersNote(policy: Policy, service: string, consumers: number | undefined): string {
  if (consumers === undefined) return ''
  if (consumers === 0) return ` No instance of ${service} is consuming ${topicNames.requests(policy, service)} (consumer group ${topicNames.group(policy, service)} has no members): it is stopped, not started yet, or failing to start.`
  return ` ${consumers} instance(s) of ${service} consume its requests: the handler is slow, its partition is backed up, or the deadline is too short.`
}
