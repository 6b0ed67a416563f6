import type { ClientOptions } from './client-options.ts'
import type { DeduplicationStore } from './deduplication-store.ts'
import type { ServiceCounters } from './pipeline/service-pipeline.ts'
import type { Service } from './service.ts'
import type { PartitionLag } from './transport.ts'

/** How to build a service: a client's options (a service calls others too), and where it remembers what it ran. */
export interface ServiceOptions extends ClientOptions {
  /**
   * Remembers each request and event run, so that a record delivered again — after a crash before
   * its commit, or a client's retry with the same message id — is not run twice, and a duplicate
   * request gets the first reply again (docs/reliability.md#deduplication). Default: a
   * {@link memoryDeduplicationStore} of this instance; a store every instance shares (such as
   * {@link postgresDeduplicationStore}) also covers a redelivery to another instance. `false`
   * keeps no store: only copies within the policy's `deduplicationWindow` of the same partition
   * are dropped.
   */
  readonly deduplication?: DeduplicationStore | false
}

/** Counters for monitoring. */
export interface ServiceStats extends Readonly<ServiceCounters> {
  /** Handlers running now. */
  readonly running: number
}

/**
 * How far one of a service's consumer groups is behind on one partition this instance holds (see {@link Service.lag}).
 *
 * @example
 * ```ts
 * const worst: ConsumerLag | undefined = (await app.lag()).sort((a, b) => b.lag - a.lag)[0]
 * ```
 */
export interface ConsumerLag extends PartitionLag {
  /** The consumer group: the service's requests group, or its events group. */
  readonly group: string
}

/**
 * A plugin: hooks, handlers and subscriptions registered on a service as one unit — an auth check,
 * a logger, a metrics exporter. It runs once, when registered, and must be synchronous.
 *
 * @example
 * ```ts
 * const requireTenant: ServicePlugin<{ header: string }> = (app, { header }) => {
 *   app.addHook('onReceive', ({ headers }) => {
 *     if (headers[header] === undefined) throw new KafkaIpcError('KIPC_BAD_REQUEST', `${header} is required`)
 *   })
 * }
 * createService({ name: 'pricing' }).register(requireTenant, { header: 'x-tenant' })
 * ```
 */
export type ServicePlugin<Options = undefined> = (service: Service, options: Options) => void
