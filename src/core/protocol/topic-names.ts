import type { Policy } from '../policy.ts'
import { parseAddress } from './addresses.ts'

/** What a topic name says about itself, read back by {@link topicNames.parse}. */
export type ParsedTopic =
  | { readonly kind: 'requests'; readonly service: string }
  | { readonly kind: 'event'; readonly name: string }
  | { readonly kind: 'gather'; readonly name: string }
  | { readonly kind: 'inbox'; readonly service: string; readonly instance: string }

/** Service and instance names never hold a dot (contracts.ts checks them), so a dot splits them. */
const segment = /^[a-zA-Z0-9_-]+$/

/**
 * Every topic and consumer group name kafka-ipc uses, built and read back in this one place from
 * the policy's prefix (docs/protocol.md §4). Nothing else assembles or slices a name.
 *
 * @example
 * ```ts
 * topicNames.requests(policy, 'pricing')            // 'kipc.pricing.requests'
 * topicNames.parse(policy, 'kipc.event.booking.created') // { kind: 'event', name: 'booking.created' }
 * ```
 */
export const topicNames = {
  requests: (policy: Policy, service: string): string => `${policy.prefix}.${service}.requests`,
  event: (policy: Policy, name: string): string => `${policy.prefix}.event.${name}`,
  gather: (policy: Policy, name: string): string => `${policy.prefix}.gather.${name}`,
  inbox: (policy: Policy, service: string, instance: string): string => `${policy.prefix}.inbox.${service}.${instance}`,
  /** Where a service puts the events it could not handle, with why (docs/reliability.md#retries-and-dead-letters). */
  deadLetters: (policy: Policy, service: string): string => `${policy.prefix}.${service}.dead-letters`,
  /** The consumer group of a service's request and gather topics: its instances share them. */
  group: (policy: Policy, service: string): string => `${policy.prefix}.${service}`,
  /** The consumer group of a service's event subscriptions: apart from requests, so events never wait behind them. */
  eventGroup: (policy: Policy, service: string): string => `${policy.prefix}.${service}.events`,
  /** Replies may only go to inboxes: a request cannot make a service write to any other topic. */
  isInbox: (policy: Policy, topic: string): boolean => topic.startsWith(`${policy.prefix}.inbox.`),
  /**
   * The target of a `kipc-reply-to` address when it is well formed and names an inbox of this
   * policy, else undefined. Replies and cancels are only ever sent where this allows.
   */
  allowedInbox: (policy: Policy, address: string): { topic: string; partition: number } | undefined => {
    const target = parseAddress(address)
    return target !== undefined && topicNames.isInbox(policy, target.topic) ? target : undefined
  },
  /** What a topic of this policy is and whose, or undefined for a name kafka-ipc would not build. */
  parse: (policy: Policy, topic: string): ParsedTopic | undefined => {
    const head = `${policy.prefix}.`
    if (!topic.startsWith(head)) return undefined
    const rest = topic.slice(head.length)
    if (rest.startsWith('event.') && rest.length > 6) return { kind: 'event', name: rest.slice(6) }
    if (rest.startsWith('gather.') && rest.length > 7) return { kind: 'gather', name: rest.slice(7) }
    if (rest.startsWith('inbox.')) {
      const [service, instance, ...more] = rest.slice(6).split('.')
      if (service === undefined || instance === undefined || more.length > 0 || !segment.test(service) || !segment.test(instance)) return undefined
      return { kind: 'inbox', service, instance }
    }
    const service = rest.endsWith('.requests') ? rest.slice(0, -'.requests'.length) : undefined
    return service !== undefined && segment.test(service) ? { kind: 'requests', service } : undefined
  },
}

/**
 * The topics a client's contracts send to, each name built once and reused: a call or an emit
 * looks its topic up by the contract's name instead of assembling the string anew — which the
 * known-topics set and the producer's lanes would then hash again, for every message. Only
 * contract names come here (a program has a fixed set); names read from elsewhere use
 * {@link topicNames}.
 *
 * @example
 * ```ts
 * const topics = new ContractTopics(policy)
 * topics.event('booking.created') // 'kipc.event.booking.created', the same string every time
 * ```
 */
export class ContractTopics {
  readonly #policy: Policy
  readonly #requests = new Map<string, string>()
  readonly #events = new Map<string, string>()

  constructor(policy: Policy) {
    this.#policy = policy
  }

  /** {@link topicNames.requests} of `service`. */
  requests(service: string): string {
    return this.#named(this.#requests, service, topicNames.requests)
  }

  /** {@link topicNames.event} of `event`. */
  event(event: string): string {
    return this.#named(this.#events, event, topicNames.event)
  }

  /** The name `build` gives `key`, built the first time and remembered in `names`. */
  #named(names: Map<string, string>, key: string, build: (policy: Policy, key: string) => string): string {
    let name = names.get(key)
    if (name === undefined) {
      name = build(this.#policy, key)
      names.set(key, name)
    }
    return name
  }
}
