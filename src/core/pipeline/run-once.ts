import { setTimeout as sleep } from 'node:timers/promises'
import { claimRun, HeldClaim } from './held-claim.ts'
import { backoffDelay } from '../backoff.ts'
import type { DeduplicationClaim, DeduplicationStore } from '../deduplication-store.ts'
import type { Envelope } from '../protocol/envelope.ts'
import { type IncomingMessage, LeaveUncommitted, type OutgoingMessage, sendOptionsOf, oneRecord } from '../transport.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { buildMessage } from '../protocol/envelope.ts'
import { errorBody } from '../protocol/error-body.ts'
import type { ReplyTarget } from '../protocol/reply-targets.ts'
import { dropRecord, reportFailure, reportUndeliverable, requestTarget, type ServicePipelineDeps } from './service-pipeline.ts'
import { asError } from '../as-error.ts'

/**
 * Whether this delivery of a request runs it: yes — the claim, held — when it claims its key. A request already run
 * gets its first reply again (or, when that was not kept, `409 KIPC_DUPLICATE_REQUEST`); one still
 * running elsewhere past this delivery's deadline gets nothing more — its caller's deadline tells.
 * A store that cannot be reached is answered `503 KIPC_UNAVAILABLE`, and nothing runs. Like the
 * drop rules, this comes before the record's hooks and spans: a duplicate is dropped, not handled.
 * A store that answers at once gives the held claim at once.
 *
 * @example
 * ```ts
 * const held = await isFirstRun(deps, store, key, message, envelope, replyTarget, deadline)
 * if (held !== undefined) await runHandler({ …, held }) // a HeldClaim itself when the store answered at once
 * ```
 */
export function isFirstRun(deps: ServicePipelineDeps, store: DeduplicationStore, key: string, message: IncomingMessage, envelope: Envelope, to: ReplyTarget, deadline: number): HeldClaim | Promise<HeldClaim | undefined> {
  let claim: DeduplicationClaim | Promise<DeduplicationClaim>
  try {
    claim = claimRun(store, key, deadline, deps.stopping)
  } catch (error) {
    return refuseUnclaimed(deps, message, envelope, to, deadline, error)
  }
  // A store that answers at once lets a new request run without a turn of the event loop.
  if (!(claim instanceof Promise)) return claim.state === 'claimed' ? new HeldClaim(deps, store, key, message, envelope) : answerDuplicate(deps, message, envelope, to, deadline, claim)
  return claim.then(
    (found) => (found.state === 'claimed' ? new HeldClaim(deps, store, key, message, envelope) : answerDuplicate(deps, message, envelope, to, deadline, found)),
    (error: unknown) => refuseUnclaimed(deps, message, envelope, to, deadline, error),
  )
}

/** The store could not be reached: nothing runs, and the caller is told `503` at once. */
async function refuseUnclaimed(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, to: ReplyTarget, deadline: number, error: unknown): Promise<undefined> {
  deps.counters.failed++
  reportFailure(deps, 'handler-failed', 'deduplicate', error, message, envelope, requestTarget(envelope))
  await answerDirectly(deps, message, envelope, deadline, errorAnswer(deps, envelope, to, error))
  return undefined
}

/** A request already run gets its first reply again, or `409` when that was not kept; one still running gets nothing more. */
async function answerDuplicate(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, to: ReplyTarget, deadline: number, claim: DeduplicationClaim): Promise<undefined> {
  deps.counters.duplicates++
  if (claim.state === 'done') {
    const again = claim.answer === undefined
      ? errorAnswer(deps, envelope, to, new KafkaIpcError('KIPC_DUPLICATE_REQUEST', `Request ${envelope.id} was already handled and its answer is no longer kept, so it was not run again.`))
      : { topic: to.topic, partition: to.partition, headers: new Map(claim.answer.headers), value: claim.answer.value }
    await answerDirectly(deps, message, envelope, deadline, again)
  }
  await dropRecord(deps, 'copy', undefined, message, envelope, requestTarget(envelope))
  return undefined
}

/** An error answer to `to`, as the pipeline sends one: the codec's error body, no hooks. */
function errorAnswer(deps: ServicePipelineDeps, envelope: Envelope, to: ReplyTarget, error: unknown): OutgoingMessage {
  const { status, body } = errorBody(error, deps.policy.exposeErrorStack)
  return buildMessage(to, 'error', { correlation: envelope.id, service: deps.service, status }, body, deps.policy.codec, deps.policy.maxMessageBytes)
}

/** Sends an answer that no handler made, retried through a failover until the deadline; one the broker would not take is counted and reported. */
async function answerDirectly(deps: ServicePipelineDeps, message: IncomingMessage, envelope: Envelope, deadline: number, answer: OutgoingMessage): Promise<void> {
  try {
    await deps.transport.send(oneRecord(answer), sendOptionsOf(deps.policy, deadline))
  } catch (error) {
    reportUndeliverable(deps, error, message, envelope, undefined)
  }
}

/**
 * Whether this delivery of an event runs it: yes — the claim, held — when it claims its key; an event already run is
 * dropped as a copy. While another run holds it, this waits for that run's end or its lease's. A
 * store that cannot be reached is asked again after the policy's event retry delay — the event waits, rather
 * than run twice or be lost — until the service stops, which leaves it uncommitted.
 *
 * @example
 * ```ts
 * const held = await isFirstEventRun(deps, store, key, message, envelope, name)
 * if (held !== undefined) await run(held)
 * ```
 */
export function isFirstEventRun(deps: ServicePipelineDeps, store: DeduplicationStore, key: string, message: IncomingMessage, envelope: Envelope, name: string): HeldClaim | undefined | Promise<HeldClaim | undefined> {
  // The usual case — a store that answers at once, and a key nobody ran — takes no promise.
  if (deps.stopping.aborted) return untilFirstRun(deps, store, key, message, envelope, name, undefined)
  let first: DeduplicationClaim | Promise<DeduplicationClaim>
  try {
    first = claimRun(store, key, Number.POSITIVE_INFINITY, deps.stopping)
  } catch (error) {
    // Reported by the loop below, as any failed claim is.
    first = Promise.reject(asError(error))
  }
  if (!(first instanceof Promise) && first.state === 'claimed') return new HeldClaim(deps, store, key, message, envelope)
  return untilFirstRun(deps, store, key, message, envelope, name, first)
}

/** The rest of {@link isFirstEventRun}: `first` is the answer to its first claim, when it asked. */
async function untilFirstRun(deps: ServicePipelineDeps, store: DeduplicationStore, key: string, message: IncomingMessage, envelope: Envelope, name: string, first: DeduplicationClaim | Promise<DeduplicationClaim> | undefined): Promise<HeldClaim | undefined> {
  for (let attempt = 1; ; attempt++) {
    if (deps.stopping.aborted) throw new LeaveUncommitted(`${deps.service} stopped before it could claim event ${envelope.id}`)
    let claim: DeduplicationClaim
    try {
      claim = await (attempt === 1 && first !== undefined ? first : claimRun(store, key, Number.POSITIVE_INFINITY, deps.stopping))
    } catch (error) {
      reportFailure(deps, 'transport', 'deduplicate', error, message, envelope, name)
      const { initialDelayMs, maxDelayMs } = deps.policy.eventRetries
      await sleep(backoffDelay(attempt - 1, initialDelayMs, maxDelayMs), undefined, { signal: deps.stopping }).catch(() => undefined)
      continue
    }
    if (claim.state === 'claimed') return new HeldClaim(deps, store, key, message, envelope)
    // Still held by another run when the service stops: the next owner of the partition decides.
    if (claim.state === 'running') continue
    deps.counters.duplicates++
    await dropRecord(deps, 'copy', undefined, message, envelope, name)
    return undefined
  }
}
