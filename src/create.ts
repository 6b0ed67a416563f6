import { Client, type ClientOptions } from './core/client.ts'
import { loadPolicy } from './core/policy.ts'
import { Service, type ServiceOptions } from './core/service.ts'
import type { Transport } from './core/transport.ts'
import { kafkaTransport } from './transports/kafka/kafka-transport.ts'
import { logConcerns } from './core/log-concerns.ts'
import { type Logger, stderrLogger } from './core/logger.ts'
import { type ShutdownOptions, shutdownOnSignals } from './operations/shutdown.ts'
import type { MessageTracing } from './core/message-tracing.ts'
import { openTelemetryTracing, type TracingOptions } from './operations/tracing/open-telemetry.ts'

/** Options of {@link createService} and {@link createClient}: only the name is required. */
export type CreateOptions = Omit<ClientOptions, 'transport' | 'ownsTransport' | 'tracing'> & {
  /** Default: Kafka at $KAFKA_BROKERS. Use `memoryTransport()` from `kafka-ipc/memory` in unit tests. */
  readonly transport?: Transport
  /**
   * OpenTelemetry tracing (docs/operations.md#tracing), on by default: spans go to the globally
   * registered tracer provider, and nothing is traced — or built — while none is registered.
   * `{ tracerProvider }` sends them to that provider instead; `false` turns tracing off; a
   * {@link MessageTracing} of your own replaces OpenTelemetry.
   */
  readonly tracing?: TracingOptions | MessageTracing | false
}

/** Options of {@link createService}: a client's, and its shutdown on signals. */
export type CreateServiceOptions = CreateOptions & Pick<ServiceOptions, 'deduplication'> & {
  /**
   * Graceful shutdown on SIGTERM and SIGINT (docs/operations.md), on by default: `false` leaves
   * the signals to the application, which then calls `close()` itself.
   */
  readonly shutdown?: ShutdownOptions | false
}

/**
 * A service on the fleet's policy (from $KAFKA_IPC_CONFIG and KIPC_* variables unless given)
 * and Kafka at $KAFKA_BROKERS (unless a transport is given).
 *
 * @example
 * ```ts
 * import { createService } from 'kafka-ipc'
 * const app = createService({ name: 'pricing' })
 * app.handle(quote, async (req) => ({ price: 120 }))
 * await app.listen()
 * ```
 */
export function createService(options: CreateServiceOptions): Service {
  const { shutdown, deduplication, ...rest } = options
  const service = new Service({ ...resolved(rest), ...(deduplication === undefined ? {} : { deduplication }) })
  if (shutdown !== false) shutdownOnSignals(service, service.client.logs.lifecycle, shutdown)
  return service
}

/**
 * A client for a process that only calls (a gateway, a script, a test).
 *
 * @example
 * ```ts
 * import { createClient } from 'kafka-ipc'
 * const client = createClient({ name: 'booking' })
 * const reply = await client.call(quote, { body: { from: 'WAW', to: 'JFK' } })
 * await client.close()
 * ```
 */
export function createClient(options: CreateOptions): Client {
  return new Client(resolved(options))
}

/** The options both factories build: the fleet's policy, and Kafka (logging where the caller logs) unless a transport is given. */
function resolved({ tracing, ...options }: CreateOptions): ClientOptions {
  return {
    ...options,
    ...(tracing === false ? {} : { tracing: typeof tracing === 'function' ? tracing : openTelemetryTracing(tracing) }),
    policy: options.policy ?? loadPolicy(),
    transport: options.transport ?? kafkaTransport({ logger: connectionLogger(options) }),
    ownsTransport: options.transport === undefined,
  }
}

/** Waiting for the broker is the `connection` concern's to log, naming the service when the logger can bind it. */
function connectionLogger({ name, logger = stderrLogger(), logLevels }: CreateOptions): Logger {
  return logConcerns(logger.child?.({ service: name }) ?? logger, logLevels).connection
}
