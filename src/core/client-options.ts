import type { Client } from './client.ts'
import type { ErrorListener } from './failure.ts'
import type { Logger } from './logger.ts'
import type { LogLevels } from './log-concerns.ts'
import type { MessageTracing } from './message-tracing.ts'
import type { Policy } from './policy.ts'
import type { Transport } from './transport.ts'

/** How to build a client. */
export interface ClientOptions {
  /** This service's name: names its inbox, and tells responders who calls. */
  readonly name: string
  readonly transport: Transport
  readonly policy?: Policy
  /** Distinguishes instances of one service; random by default. */
  readonly instanceId?: string
  /**
   * Failures with no caller to tell — a handler that threw, a dropped record, an answer that could
   * not be sent, a channel that failed — each with its context (service, route or event, topic,
   * partition, offset, message id, caller). Default: one line each through `logger`
   * ({@link logFailures}).
   */
  readonly onError?: ErrorListener
  /**
   * Where kafka-ipc logs — failures (without `onError`), state changes (a channel lost and
   * re-established during a broker failover), listening and closing, and a line per message when
   * `logLevels` asks for them: any pino-compatible logger. Default: stderr ({@link stderrLogger}).
   */
  readonly logger?: Logger
  /**
   * A level per concern — `messages`, `failures`, `connection`, `lifecycle` — such as
   * `{ messages: 'debug' }` for a line per message (docs/operations.md#logging).
   * `$KIPC_LOG_LEVELS` overrides it.
   */
  readonly logLevels?: LogLevels
  /** Close the transport with the client. */
  readonly ownsTransport?: boolean
  /**
   * Spans around every call, stream, gather and event, their context carried in the records'
   * headers (docs/operations.md#tracing). `createClient` and `createService` trace with
   * OpenTelemetry by default; without this option nothing is traced.
   */
  readonly tracing?: MessageTracing
}

/**
 * A plugin for a client: hooks added as one unit — a header every call carries, a logger of failed
 * calls. It runs once, when registered, and must be synchronous.
 *
 * @example
 * ```ts
 * const tagged: ClientPlugin<{ source: string }> = (client, { source }) => {
 *   client.addHook('beforeSend', ({ setHeader }) => { setHeader('x-source', source) })
 * }
 * createClient({ name: 'checkout' }).register(tagged, { source: 'web' })
 * ```
 */
export type ClientPlugin<Options = undefined> = (client: Client, options: Options) => void

/** Counters for monitoring. */
export interface ClientStats {
  readonly pending: number
  readonly lateAnswers: number
  readonly malformedMessages: number
  readonly timeouts: number
}
