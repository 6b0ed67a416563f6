import type { AnyContract, EventContract, GatherContract, RouteContract, StreamContract } from '../core/contracts.ts'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import type { Policy } from '../core/policy.ts'
import { topicNames } from '../core/protocol/topic-names.ts'

/** A service's routes and streams, the topic its requests go to and the consumer group reading it. */
export interface ServiceEntry {
  readonly service: string
  readonly topic: string
  readonly group: string
  readonly endpoints: readonly (RouteContract | StreamContract)[]
}

/** An event or a gather, and its topic. */
export interface TopicEntry<C extends EventContract | GatherContract> {
  readonly contract: C
  readonly topic: string
}

/**
 * Contracts arranged as documents show them — services (by name) with their routes and streams
 * (by path, then method), events and gathers (by name) — each with the topic the policy gives it.
 * The same contract given twice counts once; two different contracts for one endpoint fail.
 *
 * @example
 * ```ts
 * const catalog = contractCatalog([quote, bookingCreated], definePolicy())
 * catalog.services[0]?.topic // 'kipc.pricing.requests'
 * ```
 */
export function contractCatalog(contracts: readonly AnyContract[], policy: Policy): { services: ServiceEntry[]; events: TopicEntry<EventContract>[]; gathers: TopicEntry<GatherContract>[] } {
  const byService = new Map<string, Map<string, RouteContract | StreamContract>>()
  const events = new Map<string, EventContract>()
  const gathers = new Map<string, GatherContract>()
  for (const contract of new Set(contracts)) {
    if (contract.kind === 'event') keep(events, contract.name, contract, `event ${contract.name}`)
    else if (contract.kind === 'gather') keep(gathers, contract.name, contract, `gather ${contract.name}`)
    else {
      const endpoints = byService.get(contract.service) ?? new Map<string, RouteContract | StreamContract>()
      byService.set(contract.service, endpoints)
      keep(endpoints, `${contract.method} ${contract.path}`, contract, `${contract.service} ${contract.method} ${contract.path}`)
    }
  }
  const byName = <T>(entries: Iterable<[string, T]>): [string, T][] => [...entries].sort(([a], [b]) => a.localeCompare(b))
  return {
    services: byName(byService).map(([service, endpoints]) => ({
      service,
      topic: topicNames.requests(policy, service),
      group: topicNames.group(policy, service),
      endpoints: [...endpoints.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method)),
    })),
    events: byName(events).map(([name, contract]) => ({ contract, topic: topicNames.event(policy, name) })),
    gathers: byName(gathers).map(([name, contract]) => ({ contract, topic: topicNames.gather(policy, name) })),
  }
}

function keep<C>(found: Map<string, C>, key: string, contract: C, what: string): void {
  const known = found.get(key)
  if (known !== undefined && known !== contract) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Two different contracts for ${what}: give each endpoint one contract.`)
  found.set(key, contract)
}
