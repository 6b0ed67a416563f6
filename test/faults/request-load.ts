// Steady request load for fault tests, and the tally every scenario prints: sent, answered,
// failed with a typed error, lost, executed twice, and how long the service took to answer again.
// The load takes every way of calling in turn — call(), client.fetch() to the typed route, and
// client.fetch() to the service's mounted app — so each of them is proven through a failover.
import { z } from 'zod'
import type { Client } from '../../src/core/client.ts'
import { event, route } from '../../src/core/contracts.ts'
import { isKafkaIpcError, KafkaIpcError } from '../../src/core/kafka-ipc-error.ts'

/** The route every request scenario calls: its handler counts executions per id. */
export const work = route('faulty', 'POST /work', { body: z.object({ id: z.number().int() }), reply: z.object({ id: z.number().int() }) })
/** The path of the responder's mounted fetch-style app: the same work, as an HTTP app would do it. */
export const appWorkPath = '/app-work'
/** The event the events scenario emits. */
export const tick = event('fault.tick', { body: z.object({ id: z.number().int() }) })

/** What a fault scenario measured. */
export interface Tally {
  sent: number
  answered: number
  /** Rejected with a KafkaIpcError other than a timeout (for example KIPC_TRANSPORT_ERROR). */
  failedTyped: number
  /** Timed out: the request or its answer never arrived before the deadline. */
  lost: number
  /** Rejected with something that is not a KafkaIpcError: must never happen. */
  untyped: number
  /** Requests whose handler ran more than once. */
  executedTwice: number
  /** From the kill to the first answer to a request sent after the kill. */
  firstAnswerAfterKillMs: number | undefined
  /** Longest round trip of a request sent after the kill. */
  worstRoundTripMs: number
  /** Error codes seen, with counts. */
  codes: Record<string, number>
}

/** Executions per request id, filled by the handler under test. */
export type Executions = Map<number, number>

/**
 * Calls {@link work} with ids 0, 1, 2 … every `intervalMs` (keyed by id, so every partition gets
 * work) until stopped, each with `timeoutMs`. `killedAt()` returns when the fault was injected.
 */
export class RequestLoad {
  readonly #client: Client
  readonly #intervalMs: number
  readonly #timeoutMs: number
  readonly #calls: Promise<void>[] = []
  readonly #tally: Tally = { sent: 0, answered: 0, failedTyped: 0, lost: 0, untyped: 0, executedTwice: 0, firstAnswerAfterKillMs: undefined, worstRoundTripMs: 0, codes: {} }
  #killedAt: number | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(client: Client, options: { intervalMs: number; timeoutMs: number }) {
    this.#client = client
    this.#intervalMs = options.intervalMs
    this.#timeoutMs = options.timeoutMs
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#callOnce(this.#tally.sent++)
    }, this.#intervalMs)
  }

  /** Marks the moment of the fault. */
  markKill(): void {
    this.#killedAt = Date.now()
  }

  /** Stops sending at once, without waiting for the calls in flight (a scenario that failed). */
  halt(): void {
    clearInterval(this.#timer)
  }

  /** Stops sending and waits for every call to settle. */
  async stop(executions: Executions): Promise<Tally> {
    clearInterval(this.#timer)
    await Promise.all(this.#calls)
    this.#tally.executedTwice = [...executions.values()].filter((count) => count > 1).length
    return this.#tally
  }

  /** Request `id` one of three ways, by `id % 3`; an HTTP error status fails as a typed error would. */
  #request(id: number): Promise<unknown> {
    const options = { key: String(id), timeout: this.#timeoutMs }
    if (id % 3 === 0) return this.#client.call(work, { body: { id }, ...options })
    const path = id % 3 === 1 ? work.path : appWorkPath
    return this.#client.fetch(`kafka://${work.service}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }), ...options }).then(async (response) => {
      if (!response.ok) throw new KafkaIpcError(`HTTP_${String(response.status)}`, await response.text())
      const reply = (await response.json()) as { id: number }
      if (reply.id !== id) throw new Error(`answered ${String(reply.id)} to request ${String(id)}`)
    })
  }

  #callOnce(id: number): void {
    const sentAt = Date.now()
    const call = this.#request(id).then(
      () => {
        const now = Date.now()
        this.#tally.answered++
        const killedAt = this.#killedAt
        if (killedAt !== undefined && sentAt >= killedAt) {
          this.#tally.worstRoundTripMs = Math.max(this.#tally.worstRoundTripMs, now - sentAt)
          this.#tally.firstAnswerAfterKillMs ??= now - killedAt
        }
      },
      (error: unknown) => {
        countFailure(this.#tally, error)
      },
    )
    this.#calls.push(call)
  }
}

/** Counts a failed call: untyped (never allowed), lost (its deadline passed), or failed with a typed error — by code. */
export function countFailure(tally: Pick<Tally, 'untyped' | 'lost' | 'failedTyped' | 'codes'>, error: unknown): void {
  if (!isKafkaIpcError(error)) {
    tally.untyped++
    return
  }
  tally.codes[error.code] = (tally.codes[error.code] ?? 0) + 1
  if (error.code === 'KIPC_TIMEOUT') tally.lost++
  else tally.failedTyped++
}

/** One line per scenario, as the issue asks for them. */
export function formatTally(scenario: string, tally: Tally, recoveredMs: number | undefined, copiesInTopic: { keys: number; widestGap: number }, copiesDropped: number): string {
  const codes = Object.entries(tally.codes)
    .map(([code, count]) => `${code}×${count}`)
    .join(' ')
  return (
    `[faults] ${scenario}: sent ${tally.sent} | answered ${tally.answered} | failed typed ${tally.failedTyped} | lost ${tally.lost} | untyped ${tally.untyped} | ` +
    `executed twice ${tally.executedTwice} (written twice to the topic ${copiesInTopic.keys}, up to ${copiesInTopic.widestGap} records apart; copies dropped ${copiesDropped}) | first answer after kill ${tally.firstAnswerAfterKillMs ?? '-'} ms | worst round trip after kill ${tally.worstRoundTripMs} ms | ` +
    `channels recovered in ${recoveredMs ?? '-'} ms${codes === '' ? '' : ` | errors ${codes}`}`
  )
}
