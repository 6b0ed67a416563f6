// Load for the instance fault tests: `concurrency` calls of `work` always in flight (as a caller
// with a pool of 32 slots would keep them), each with its own deadline, and what came of each:
// answered, failed with a typed error, lost (timed out), and the longest stretch after the fault
// during which no call was answered.
import type { Client } from '../../src/core/client.ts'
import { countFailure, work } from './request-load.ts'

/** What a load saw. */
export interface LoadTally {
  sent: number
  answered: number
  failedTyped: number
  lost: number
  untyped: number
  /** Answers carrying another request's id: must never happen. */
  misrouted: number
  codes: Record<string, number>
  /** From the fault to the first answer after it. */
  firstAnswerAfterFaultMs: number | undefined
  /** The longest stretch after the fault with no answer at all. */
  longestSilenceMs: number
  /** The longest round trip of a call in flight at, or sent after, the fault. */
  worstRoundTripMs: number
  /** The ids of the lost calls, with when each was sent (ms after the load started), for the report of where they went. */
  lostIds: { id: number; sentAfterMs: number }[]
  /** When the load started (epoch ms). */
  startedAt: number
}

/** Keeps `concurrency` calls in flight until stopped. */
export class ConcurrentLoad {
  readonly #client: Client
  readonly #concurrency: number
  readonly #timeoutMs: number
  readonly #calls = new Set<Promise<void>>()
  readonly #tally: LoadTally = { sent: 0, answered: 0, failedTyped: 0, lost: 0, untyped: 0, misrouted: 0, codes: {}, firstAnswerAfterFaultMs: undefined, longestSilenceMs: 0, worstRoundTripMs: 0, lostIds: [], startedAt: 0 }
  #running = false
  #startedAt = 0
  #faultAt: number | undefined
  #lastAnswerAt = 0
  #nextId: number

  constructor(client: Client, options: { concurrency: number; timeoutMs: number; firstId?: number }) {
    this.#client = client
    this.#concurrency = options.concurrency
    this.#timeoutMs = options.timeoutMs
    this.#nextId = options.firstId ?? 0
  }

  start(): void {
    this.#running = true
    this.#startedAt = Date.now()
    this.#tally.startedAt = this.#startedAt
    for (let slot = 0; slot < this.#concurrency; slot++) this.#callNext()
  }

  /** Marks the moment of the fault. */
  markFault(): void {
    this.#faultAt = Date.now()
    this.#lastAnswerAt = this.#faultAt
  }

  /** Stops sending and waits for every call in flight to settle. */
  async stop(): Promise<LoadTally> {
    this.#running = false
    while (this.#calls.size > 0) await Promise.all([...this.#calls])
    if (this.#faultAt !== undefined) this.#tally.longestSilenceMs = Math.max(this.#tally.longestSilenceMs, this.#answeredSince())
    return this.#tally
  }

  #answeredSince(): number {
    return this.#faultAt === undefined ? 0 : Date.now() - this.#lastAnswerAt
  }

  #callNext(): void {
    if (!this.#running) return
    const id = this.#nextId++
    const sentAt = Date.now()
    this.#tally.sent++
    const call = this.#client.call(work, { body: { id }, key: String(id), timeout: this.#timeoutMs }).then(
      (reply) => {
        const now = Date.now()
        this.#tally.answered++
        if (reply.id !== id) this.#tally.misrouted++
        if (this.#faultAt !== undefined) {
          this.#tally.longestSilenceMs = Math.max(this.#tally.longestSilenceMs, now - this.#lastAnswerAt)
          this.#lastAnswerAt = now
          this.#tally.firstAnswerAfterFaultMs ??= now - this.#faultAt
          if (now > this.#faultAt) this.#tally.worstRoundTripMs = Math.max(this.#tally.worstRoundTripMs, now - sentAt)
        }
      },
      (error: unknown) => {
        const lostBefore = this.#tally.lost
        countFailure(this.#tally, error)
        if (this.#tally.lost > lostBefore) this.#tally.lostIds.push({ id, sentAfterMs: sentAt - this.#startedAt })
      },
    )
    const settled = call.finally(() => {
      this.#calls.delete(settled)
      this.#callNext()
    })
    this.#calls.add(settled)
  }
}

/** One `[faults]` line, as the issue asks for them. */
export function formatLoad(scenario: string, tally: LoadTally, executedTwice: number, extra = ''): string {
  const codes = Object.entries(tally.codes)
    .map(([code, count]) => `${code}×${String(count)}`)
    .join(' ')
  return (
    `[faults] ${scenario}: sent ${String(tally.sent)} | answered ${String(tally.answered)} | failed typed ${String(tally.failedTyped)} | lost ${String(tally.lost)} | untyped ${String(tally.untyped)} | misrouted ${String(tally.misrouted)} | executed twice ${String(executedTwice)} | ` +
    `first answer after the fault ${String(tally.firstAnswerAfterFaultMs ?? '-')} ms | longest silence ${String(tally.longestSilenceMs)} ms | worst round trip ${String(tally.worstRoundTripMs)} ms${extra}${codes === '' ? '' : ` | errors ${codes}`}`
  )
}
