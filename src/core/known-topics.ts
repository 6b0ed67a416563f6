import { isKafkaIpcError, KafkaIpcError } from './kafka-ipc-error.ts'
import type { Policy } from './policy.ts'
import type { Transport } from './transport.ts'

/**
 * The topics a client sends to, made sure of once each: an event or gather topic is created when
 * missing (as the policy allows); a service's request topic never is — only the service creates it
 * in listen(), so a typo in a service name fails at once, naming the topic, instead of creating a
 * topic nobody reads and timing out like a slow service (docs/decisions/0005). A topic once found
 * is known from then on, and a call to it waits on nothing.
 *
 * @example
 * ```ts
 * const topics = new KnownTopics(transport, policy)
 * await topics.ensureRequests('kipc.pricing.requests', 'pricing') // KIPC_UNKNOWN_SERVICE when pricing never listened
 * topics.isKnown('kipc.pricing.requests') // true
 * ```
 */
export class KnownTopics {
  readonly #transport: Transport
  readonly #policy: Policy
  readonly #ensuring = new Map<string, Promise<void>>()
  readonly #known = new Set<string>()

  constructor(transport: Transport, policy: Policy) {
    this.#transport = transport
    this.#policy = policy
  }

  isKnown(topic: string): boolean {
    return this.#known.has(topic)
  }

  /** Makes sure `topic` exists, creating it when `create` allows; shared by concurrent callers, forgotten on failure. */
  async ensure(topic: string, retentionMs: number, create: boolean): Promise<void> {
    let ensuring = this.#ensuring.get(topic)
    if (ensuring === undefined) {
      ensuring = this.#transport.ensureTopics([{ name: topic, partitions: this.#policy.partitions, replication: this.#policy.replication, retentionMs }], create)
      ensuring.catch(() => this.#ensuring.delete(topic))
      this.#ensuring.set(topic, ensuring)
    }
    await ensuring
    this.#known.add(topic)
  }

  /** Makes sure `service`'s request topic exists, never creating it. */
  async ensureRequests(topic: string, service: string): Promise<void> {
    try {
      await this.ensure(topic, this.#policy.retentionMs.requests, false)
    } catch (error) {
      if (!isKafkaIpcError(error, 'KIPC_TOPIC_MISSING')) throw error
      throw new KafkaIpcError(
        'KIPC_UNKNOWN_SERVICE',
        `No service named ${service} has ever listened with prefix ${this.#policy.prefix}: its request topic ${topic} does not exist. Check the service name in the contract, or start ${service} first.`,
        { details: { service, topic } },
      )
    }
  }
}
