import { Admin } from '@platformatic/kafka'
import type { Environment } from '../../core/environment.ts'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import type { Logger } from '../../core/logger.ts'
import { backoff } from '../../core/backoff.ts'
import type { BrokerAddresses } from './broker-addresses.ts'
import { innermostReason } from './kafka-errors.ts'
import { accessError } from './kafka-access-errors.ts'
import type { ResolvedSecurity } from './kafka-security.ts'
import { saslMechanismsOffered } from './sasl-listener.ts'

const defaultConnectTimeoutMs = 30_000

/** The connect timeout from the option, else $KIPC_CONNECT_TIMEOUT_MS, else 30 s. */
export function connectTimeout(option: number | undefined, env: Environment = process.env): number {
  const fromEnv = env['KIPC_CONNECT_TIMEOUT_MS']
  const value = option ?? (fromEnv === undefined || fromEnv === '' ? defaultConnectTimeoutMs : Number(fromEnv))
  if (!Number.isInteger(value) || value < 0) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${option === undefined ? 'KIPC_CONNECT_TIMEOUT_MS' : 'connectTimeoutMs'} must be a whole number of ms, got ${JSON.stringify(option ?? fromEnv)}.`)
  }
  return value
}

/**
 * The gate before a transport's first broker operation: waits until a broker answers a metadata
 * request, for up to the connect timeout, so a service started before its broker (a pod beside a
 * Kafka still booting) comes up by itself. It logs once that it is waiting and once that it got
 * through; if no broker answers in time it fails with one line — the addresses, where they came
 * from, the last cause, what to check — instead of the client library's nested errors. After the
 * first success it stays open: later failures are the subscriptions' and inboxes' to recover from.
 * A refusal — the SASL login, the TLS handshake — ends the wait at once (KIPC_AUTHENTICATION_FAILED,
 * KIPC_TLS_FAILED): waiting cannot fix credentials.
 *
 * @example
 * ```ts
 * const gate = new BrokerReachability(brokerAddresses(undefined, process.env), 30_000, stderrLogger(), () => false)
 * await gate.reached() // resolves once a broker answers; KIPC_BROKER_UNREACHABLE after 30 s
 * ```
 */
export class BrokerReachability {
  readonly #addresses: BrokerAddresses
  readonly #timeoutMs: number
  readonly #logger: Logger
  readonly #isClosed: () => boolean
  readonly #security: ResolvedSecurity
  #reached: Promise<void> | undefined

  constructor(addresses: BrokerAddresses, timeoutMs: number, logger: Logger, isClosed: () => boolean, security: ResolvedSecurity = { description: 'plaintext' }) {
    this.#addresses = addresses
    this.#timeoutMs = timeoutMs
    this.#logger = logger
    this.#isClosed = isClosed
    this.#security = security
  }

  /** Resolves once a broker has answered; concurrent callers share one wait. A failed wait is tried afresh next time. */
  reached(): Promise<void> {
    this.#reached ??= this.#probe().catch((error: unknown) => {
      this.#reached = undefined
      throw error
    })
    return this.#reached
  }

  async #probe(): Promise<void> {
    const { brokers, source } = this.#addresses
    const { sasl, tls, description: security } = this.#security
    const started = Date.now()
    let waiting = false
    let askedForSasl = false
    for (let attempt = 0; ; attempt++) {
      // One try per attempt: the backoff and the deadline here replace the library's retries.
      const admin = new Admin({
        clientId: 'kafka-ipc-probe',
        bootstrapBrokers: brokers,
        retries: 0,
        connectTimeout: Math.min(5_000, Math.max(500, this.#timeoutMs)),
        ...(sasl === undefined ? {} : { sasl }),
        ...(tls === undefined ? {} : { tls }),
      })
      let cause: string
      try {
        await admin.metadata({ topics: [] })
        if (waiting) this.#logger.info({ brokers, security, waitedMs: Date.now() - started }, `connected to Kafka at ${brokers.join(',')} after ${((Date.now() - started) / 1000).toFixed(1)} s`)
        return
      } catch (error) {
        const refused = accessError(error, `connecting to ${brokers.join(',')} (from ${source}; ${security})`)
        if (refused !== undefined) {
          refused.stack = `${refused.name}: ${refused.message}`
          throw refused
        }
        cause = innermostReason(error)
      } finally {
        await admin.close().catch(() => undefined)
      }
      // Closed at the first request, with no login: once, ask the listener whether it wants one.
      if (cause === 'Connection closed' && sasl === undefined && !askedForSasl) {
        askedForSasl = true
        const offered = await saslMechanismsOffered(brokers[0] ?? '', tls, Math.min(5_000, Math.max(500, this.#timeoutMs)))
        if (offered !== undefined && offered.length > 0) throw expectsLogin(brokers, source, security, offered)
      }
      if (this.#isClosed()) throw new KafkaIpcError('KIPC_UNAVAILABLE', 'The Kafka transport was closed while waiting for a broker.')
      const elapsed = Date.now() - started
      if (elapsed >= this.#timeoutMs) {
        const unreachable = new KafkaIpcError(
          'KIPC_BROKER_UNREACHABLE',
          `Cannot reach Kafka at ${brokers.join(',')} (from ${source}${security === 'plaintext' ? '' : `; ${security}`}) after ${(elapsed / 1000).toFixed(1)} s: ${cause}${loginHint(cause, sasl !== undefined)}. Check KAFKA_BROKERS and that a broker listens there; KIPC_CONNECT_TIMEOUT_MS sets how long to wait.`,
          { details: { brokers, source, security, waitedMs: elapsed, cause } },
        )
        // One line when printed: the library's nested errors are summed up in `cause` above.
        unreachable.stack = `${unreachable.name}: ${unreachable.message}`
        throw unreachable
      }
      if (!waiting) {
        waiting = true
        this.#logger.warn({ brokers, source, security, cause, timeoutMs: this.#timeoutMs }, `waiting for Kafka at ${brokers.join(',')} (${cause}${loginHint(cause, sasl !== undefined)}); giving up after ${(this.#timeoutMs / 1000).toFixed(0)} s`)
      }
      await backoff(attempt, undefined, 250, Math.min(2_000, this.#timeoutMs - elapsed))
    }
  }
}

/**
 * What a connection the broker accepted and then closed without answering means for a client with
 * no SASL login: a listener that expects one closes the connection at the first request other
 * than the handshake. When the listener says so itself (saslMechanismsOffered) the wait ends;
 * when it answers nothing this is said while waiting, not acted on: a broker shutting down closes
 * connections too, and waiting out the connect timeout lets a broker that is restarting come back.
 */
function loginHint(cause: string, logsIn: boolean): string {
  if (logsIn || cause !== 'Connection closed') return ''
  return ' — the broker accepted the connection and closed it without answering, as a listener that expects a SASL login does: set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or the sasl option), or dial a listener without SASL'
}

/** The error for a listener that wants a SASL login this client does not make: an answer, not an absence, so not retried. */
function expectsLogin(brokers: readonly string[], source: string, security: string, offered: readonly string[]): KafkaIpcError {
  const error = new KafkaIpcError(
    'KIPC_AUTHENTICATION_FAILED',
    `Kafka at ${brokers.join(',')} (from ${source}; ${security}) expects a SASL login (it offers ${offered.join(', ')}) and this client makes none: the broker closes the connection at the first request. ${loginSettings(offered)}, or the sasl option, or dial a listener without SASL; this is not retried.`,
    { details: { brokers, mechanisms: offered } },
  )
  error.stack = `${error.name}: ${error.message}`
  return error
}

/** The variables that log in with what a listener offers: a token file when it takes tokens only. */
function loginSettings(offered: readonly string[]): string {
  if (offered.length > 0 && offered.every((mechanism) => mechanism === 'OAUTHBEARER')) return 'Set KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'
  return 'Set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) and KAFKA_SASL_MECHANISM'
}
