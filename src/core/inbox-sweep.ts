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
 * deploys. Every instance runs one, now and then — jittered, so a fleet's sweeps spread out.
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

  constructor(deps: InboxSweepDeps) {
    this.#deps = deps
  }

  /** Sweeps every idle period / 2 (±25 %), the first time after a random share of that. Off when `inboxIdleMs` is 0. */
  start(): void {
    if (this.#deps.policy.inboxIdleMs === 0 || this.#timer !== undefined || this.#stopped) return
    this.#schedule(Math.random() * this.#interval())
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

  #interval(): number {
    return this.#deps.policy.inboxIdleMs / 2
  }

  #schedule(delay: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      void this.sweep()
        .catch(this.#deps.onError)
        .finally(() => {
          this.#schedule(this.#interval() * (0.75 + Math.random() / 2))
        })
    }, delay).unref()
  }

  async #sweep(): Promise<string[]> {
    const { transport, policy, ownInbox, logger } = this.#deps
    if (!this.#deps.connected()) return []
    const inboxes = (await transport.listTopics(`${policy.prefix}.inbox.`)).filter((topic) => topic !== ownInbox && topicNames.parse(policy, topic)?.kind === 'inbox')
    const lastWrites = await transport.lastWrites(inboxes)
    const now = Date.now()
    const confirmAfter = 2 * heartbeatInterval(policy)
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
