import { setTimeout as sleep } from 'node:timers/promises'
import { isKafkaIpcError } from '../kafka-ipc-error.ts'
import { topicNames } from '../protocol/topic-names.ts'
import type { WireHeaders } from '../protocol/headers.ts'
import { type IncomingMessage, LeaveUncommitted, sendOptionsOf, oneRecord } from '../transport.ts'
import type { ServicePipelineDeps } from './service-pipeline.ts'

/** Why a record went to the dead-letter topic. */
export type DeadLetterReason = 'malformed' | 'invalid' | 'failed'

/** What a dead letter says about its record's failure. */
export interface DeadLetterFailure {
  readonly reason: DeadLetterReason
  readonly error: unknown
  /** How many times the handler ran (0 when it never did). */
  readonly attempts: number
  readonly firstFailureAt: number
  readonly lastFailureAt: number
}

/** The headers a dead letter adds to its record's own, all under `kipc-dlt-` (docs/protocol.md §3). */
export const deadLetterHeader = {
  reason: 'kipc-dlt-reason',
  code: 'kipc-dlt-code',
  message: 'kipc-dlt-message',
  attempts: 'kipc-dlt-attempts',
  firstFailure: 'kipc-dlt-first-failure',
  lastFailure: 'kipc-dlt-last-failure',
  service: 'kipc-dlt-service',
  topic: 'kipc-dlt-topic',
  partition: 'kipc-dlt-partition',
  offset: 'kipc-dlt-offset',
  /** Set instead of copying the value when the value itself was refused for its size. */
  valueBytes: 'kipc-dlt-value-bytes',
} as const

/** An error message is kept to this many characters in a dead letter's header. */
const maxMessageLength = 1_000

/**
 * The dead letter of `message`: its key, value and headers as consumed, plus why it failed —
 * reason, error code and message, attempts, first and last failure time, and where it came from.
 * A value refused for its size is left out (its size is told instead): written back whole it
 * could be refused again.
 *
 * @example
 * ```ts
 * const letter = deadLetterOf('kipc.ledger.dead-letters', 'ledger', message, { reason: 'invalid', error, attempts: 0, firstFailureAt: now, lastFailureAt: now })
 * ```
 */
export function deadLetterOf(topic: string, service: string, message: IncomingMessage, failure: DeadLetterFailure): { topic: string; key?: string; headers: WireHeaders; value: Uint8Array } {
  const headers: WireHeaders = new Map(message.headers)
  const { error } = failure
  const tooLarge = isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE')
  const text = error instanceof Error ? error.message : String(error)
  headers.set(deadLetterHeader.reason, failure.reason)
  headers.set(deadLetterHeader.code, isKafkaIpcError(error) ? error.code : error instanceof Error ? error.name : 'UNKNOWN')
  headers.set(deadLetterHeader.message, text.length > maxMessageLength ? `${text.slice(0, maxMessageLength)}…` : text)
  headers.set(deadLetterHeader.attempts, String(failure.attempts))
  headers.set(deadLetterHeader.firstFailure, String(failure.firstFailureAt))
  headers.set(deadLetterHeader.lastFailure, String(failure.lastFailureAt))
  headers.set(deadLetterHeader.service, service)
  headers.set(deadLetterHeader.topic, message.topic)
  headers.set(deadLetterHeader.partition, String(message.partition))
  headers.set(deadLetterHeader.offset, String(message.offset))
  if (tooLarge) headers.set(deadLetterHeader.valueBytes, String(message.value.byteLength))
  return { topic, ...(message.key === undefined ? {} : { key: message.key }), headers, value: tooLarge ? new Uint8Array(0) : message.value }
}

/**
 * Writes `message`'s dead letter to the service's dead-letter topic and resolves once the broker
 * has it — only then may the record's offset be committed. A broker that does not take it is
 * tried again, with backoff, for as long as the service runs; when it stops first, the record is
 * left uncommitted ({@link LeaveUncommitted}) for the partition's next owner. Nothing is lost
 * either way.
 *
 * @example
 * ```ts
 * await sendDeadLetter(deps, message, { reason: 'failed', error, attempts: 5, firstFailureAt, lastFailureAt: Date.now() })
 * ```
 */
export async function sendDeadLetter(deps: ServicePipelineDeps, message: IncomingMessage, failure: DeadLetterFailure): Promise<void> {
  const letter = deadLetterOf(topicNames.deadLetters(deps.policy, deps.service), deps.service, message, failure)
  for (let attempt = 0; ; attempt++) {
    if (deps.stopping.aborted && attempt > 0) throw new LeaveUncommitted(`${deps.service} stopped before the dead letter of ${message.topic}:${String(message.partition)}@${String(message.offset)} was written`)
    try {
      await deps.transport.send(oneRecord(letter), sendOptionsOf(deps.policy, Date.now() + deps.policy.timeoutMs))
      deps.counters.deadLettered++
      return
    } catch (error) {
      deps.onError(error, { kind: 'transport', service: deps.service, topic: letter.topic })
      await pause(Math.min(30_000, 500 * 2 ** attempt), deps.stopping)
    }
  }
}

/**
 * Waits `ms`, or less if `signal` aborts first. Resolves either way: the caller reads the signal.
 *
 * @example
 * ```ts
 * await pause(retryDelay(attempt, policy.eventRetries), deps.stopping)
 * if (deps.stopping.aborted) throw new LeaveUncommitted('stopped during a retry')
 * ```
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(() => undefined)
}
