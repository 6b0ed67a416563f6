import { heartbeatInterval } from './inbox-heartbeat.ts'
import type { Logger } from './logger.ts'
import type { Policy } from './policy.ts'
import { topicNames } from './protocol/topic-names.ts'
import type { Transport } from './transport.ts'

/** What the sweep needs from the instance running it. */
export interface InboxSweepDeps {
  readonly transport: Transport
  readonly policy: Policy
  /** This instance's inbox topic: never judged. */
  readonly ownInbox: string
  /** Whether this instance reads its own inbox now: a sweep is skipped while it cannot, since the broker may be what is missing. */
  readonly connected: () => boolean
  readonly logger: Logger
  /** A sweep that failed (listing topics, reading offsets, deleting): reported, tried again next time. */
  readonly onError: (error: unknown) => void
}

/** A stale inbox seen once, to be deleted if the next look finds it no different. */
interface Suspect {
  readonly since: number
  readonly lastWrite: number | undefined
}

/**
 * Finds and deletes the inboxes of instances that died without closing (a crash, SIGKILL, an
 * OOM kill), which would otherwise stay forever: thousands of topics after a fleet's rolling
 * deploys. Every instance runs one, now and then — jittered, so a fleet's sweeps spread out, and
 * the less often the more inboxes it finds ({@link nextSweepDelay}): a sweep lists every inbox and
 * asks for the newest record of each, so were each of N instances to sweep at a fixed pace the
 * brokers would answer N sweeps of N inboxes per period; as it is, the fleet makes about
 * {@link fleetSweepsPerPeriod} per period up to 240 instances, N / 24 beyond.
 *
 * An inbox counts as stale when its newest record (a heartbeat of its owner, or an answer; by the
 * broker's clock) is older than `policy.inboxIdleMs`, or it holds none. A stale inbox is only
 * suspected at first; it is deleted when a look at least two heartbeats later finds it unchanged.
 * A live instance heartbeats five times per idle period, so its inbox is never stale — and after
 * a broker outage, when every inbox looks stale at once, each live one writes again before the
 * second look. A sweep never runs while this instance cannot read its own inbox.
 *
 * @example
 * ```ts
 * const sweep = new InboxSweep({ transport, policy, ownInbox: 'kipc.inbox.pricing.a1', connected: () => true, logger, onError })
 * sweep.start()
 * const deleted = await sweep.sweep() // or wait: it runs every idle period / 2
 * ```
 */
export class InboxSweep {
  readonly #deps: InboxSweepDeps
  readonly #suspects = new Map<string, Suspect>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<string[]> | undefined
  #stopped = false
  /** The other instances' inboxes the last sweep listed: how large the fleet sweeping with this one is. */
  #inboxesSeen = 0

  constructor(deps: InboxSweepDeps) {
    this.#deps = deps
  }

  /** Sweeps from now on as {@link nextSweepDelay} says, the first time after a random share of half the idle period. Off when `inboxIdleMs` is 0. */
  start(): void {
    if (this.#deps.policy.inboxIdleMs === 0 || this.#timer !== undefined || this.#stopped) return
    this.#schedule(Math.random() * sweepPeriod(this.#deps.policy))
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** One sweep now: suspects stale inboxes, deletes those suspected long enough. Resolves with the topics deleted. */
  sweep(): Promise<string[]> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  #schedule(delay: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      void this.sweep()
        .catch(this.#deps.onError)
        .finally(() => {
          this.#schedule(nextSweepDelay(this.#deps.policy, this.#inboxesSeen, this.#awaitingSecondLook(), Math.random()))
        })
    }, delay).unref()
  }

  /** The suspects not yet old enough to be judged again; one whose deletion failed is not among them. */
  #awaitingSecondLook(): number {
    const since = Date.now() - secondLookAfter(this.#deps.policy)
    let count = 0
    for (const suspect of this.#suspects.values()) if (suspect.since > since) count++
    return count
  }

  async #sweep(): Promise<string[]> {
    const { transport, policy, ownInbox, logger } = this.#deps
    if (!this.#deps.connected()) return []
    const inboxes = (await transport.listTopics(`${policy.prefix}.inbox.`)).filter((topic) => topic !== ownInbox && topicNames.parse(policy, topic)?.kind === 'inbox')
    this.#inboxesSeen = inboxes.length
    const lastWrites = await transport.lastWrites(inboxes)
    const now = Date.now()
    const confirmAfter = secondLookAfter(policy)
    const doomed: string[] = []
    const present = new Set(lastWrites.keys())
    for (const topic of this.#suspects.keys()) if (!present.has(topic)) this.#suspects.delete(topic)
    for (const [topic, lastWrite] of lastWrites) {
      if (lastWrite !== undefined && now - lastWrite < policy.inboxIdleMs) {
        this.#suspects.delete(topic)
        continue
      }
      const suspect = this.#suspects.get(topic)
      if (suspect === undefined || suspect.lastWrite !== lastWrite) {
        this.#suspects.set(topic, { since: now, lastWrite })
      } else if (now - suspect.since >= confirmAfter) {
        doomed.push(topic)
      }
    }
    if (doomed.length === 0 || this.#stopped || !this.#deps.connected()) return []
    await transport.deleteTopics(doomed)
    for (const topic of doomed) {
      this.#suspects.delete(topic)
      const lastWrite = lastWrites.get(topic)
      logger.info({ topic, lastWriteAgoMs: lastWrite === undefined ? undefined : now - lastWrite }, `deleted the inbox ${topic} of an instance gone without closing (${lastWrite === undefined ? 'empty' : `last written ${Math.round((now - lastWrite) / 1000)} s ago`})`)
    }
    return doomed
  }
}

/** About how many sweeps a whole fleet makes per {@link sweepPeriod}, up to {@link maxPeriodsBetweenSweeps} × this many instances. */
export const fleetSweepsPerPeriod = 10

/**
 * The most periods an instance waits between sweeps (2 hours by default): a fleet that shrinks
 * at once — most of its instances crashed, a node lost — is left with survivors that last swept
 * when it was large; their next sweep, which deletes the dead inboxes, comes within this.
 */
export const maxPeriodsBetweenSweeps = 24

/** How long after suspecting an inbox a sweep may judge it again: two heartbeats, so a live owner has written twice. */
function secondLookAfter(policy: Pick<Policy, 'inboxIdleMs'>): number {
  return 2 * heartbeatInterval(policy)
}

/** Half the idle period: how often each instance of a fleet of up to {@link fleetSweepsPerPeriod} sweeps. */
function sweepPeriod(policy: Pick<Policy, 'inboxIdleMs'>): number {
  return policy.inboxIdleMs / 2
}

/**
 * How long an instance waits before its next sweep, given the other inboxes its last sweep found
 * and how many suspects await their second look; `random` in [0, 1) spreads a fleet's sweeps
 * (±25 %).
 *
 * Each of `inboxes` + 1 instances sweeping every period × (`inboxes` + 1) / 10 makes about ten
 * sweeps per period for the fleet — the period being half the idle period, each instance's pace
 * in a fleet of ten or fewer — up to 240 instances; past that each waits at most
 * {@link maxPeriodsBetweenSweeps} periods, so that a fleet that shrinks at once is swept within
 * them, and the fleet makes (`inboxes` + 1) / 24 per period. A dead inbox is first seen by
 * whichever instance sweeps next; that instance's second look, the one that deletes, comes at a
 * small fleet's pace — never sooner than two heartbeats — not a stretched period later.
 *
 * @example
 * ```ts
 * nextSweepDelay(definePolicy({}), 99, 0, 0.5) // 3,000,000 ms: each of 100 instances every 50 min, the fleet ~10 times in 5 min
 * nextSweepDelay(definePolicy({}), 999, 0, 0.5) // 7,200,000 ms: each of 1,000 instances every 2 h, at most
 * nextSweepDelay(definePolicy({}), 999, 3, 0.5) // 300,000 ms: the second look at three suspects
 * ```
 */
export function nextSweepDelay(policy: Pick<Policy, 'inboxIdleMs'>, inboxes: number, suspects: number, random: number): number {
  const jitter = 0.75 + random / 2
  if (suspects > 0) return Math.max(secondLookAfter(policy), sweepPeriod(policy) * jitter)
  const periods = Math.min(maxPeriodsBetweenSweeps, Math.max(1, (inboxes + 1) / fleetSweepsPerPeriod))
  return sweepPeriod(policy) * periods * jitter
}
