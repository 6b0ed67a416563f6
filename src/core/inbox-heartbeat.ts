import type { Policy } from './policy.ts'
import { buildMessage } from './protocol/envelope.ts'
import { type Transport, oneRecord } from './transport.ts'

/** How often an instance writes to its own inbox: five times per idle period, so a late or lost beat or two never makes it look gone. */
export function heartbeatInterval(policy: Pick<Policy, 'inboxIdleMs'>): number {
  return Math.floor(policy.inboxIdleMs / 5)
}

/**
 * An instance's sign of life for the {@link InboxSweep} of the others: a tiny `heartbeat` record
 * in its own inbox now and every {@link heartbeatInterval} after, so the inbox's newest record is
 * never older than that while the instance lives — however quiet its calls are. The inbox's
 * reader skips them. The timer does not keep the process alive.
 *
 * @example
 * ```ts
 * const heartbeat = new InboxHeartbeat(transport, policy, 'pricing', 'kipc.inbox.pricing.a1')
 * heartbeat.start()
 * // … on close
 * heartbeat.stop()
 * ```
 */
export class InboxHeartbeat {
  readonly #transport: Transport
  readonly #policy: Policy
  readonly #service: string
  readonly #topic: string
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(transport: Transport, policy: Policy, service: string, topic: string) {
    this.#transport = transport
    this.#policy = policy
    this.#service = service
    this.#topic = topic
  }

  start(): void {
    if (this.#policy.inboxIdleMs === 0 || this.#timer !== undefined) return
    const every = heartbeatInterval(this.#policy)
    this.#timer = setInterval(() => void this.beat(), every).unref()
    void this.beat()
  }

  /**
   * Writes one heartbeat. A failure is not reported: the broker is away, which the inbox's own
   * health already tells; the next beat tries again, and a sweep waits for two of them before it
   * deletes anything.
   */
  async beat(): Promise<void> {
    const message = buildMessage({ topic: this.#topic, partition: 0 }, 'heartbeat', { service: this.#service }, undefined, this.#policy.codec, this.#policy.maxMessageBytes)
    await this.#transport.send(oneRecord(message), { envelope: this.#policy.envelope, retryUntil: Date.now() + heartbeatInterval(this.#policy) }).catch(() => undefined)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
