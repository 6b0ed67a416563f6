import { Admin, type ConnectionOptions } from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'

/** SASL and TLS settings for a secured listener; empty for plaintext. */
export type ListenerSecurity = Pick<ConnectionOptions, 'sasl' | 'tls'>

/**
 * Asks one broker for cluster metadata and returns the ids of the brokers it reports as alive,
 * or undefined when it does not answer. Kafka lists only registered, unfenced brokers, so a node
 * appears here once it can serve clients. A secured listener is asked with `security`.
 */
export async function liveBrokerIds(address: string, timeoutMs = 2_000, security: ListenerSecurity = {}): Promise<Set<number> | undefined> {
  const admin = new Admin({
    clientId: 'kafka-ipc-local-kafka',
    bootstrapBrokers: [address],
    retries: 0,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
    ...security,
  })
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true })
    return new Set(metadata.brokers.keys())
  } catch {
    return undefined
  } finally {
    await admin.close().catch(() => undefined)
  }
}

/** What to wait for and how long. */
export interface WaitForBrokersOptions {
  /** Broker listener to ask, `host:port`. */
  readonly address: string
  /** Broker ids that must be reported alive. */
  readonly expectedIds: readonly number[]
  readonly timeoutMs: number
  /** Settles when a node process exits, so waiting stops early with its exit code. */
  readonly abort: Promise<unknown>
  /** SASL and TLS of a secured listener. */
  readonly security?: ListenerSecurity
}

/**
 * Polls until `address` reports every expected broker alive. Resolves true when ready, false on
 * timeout; rejects with the value of `abort` when a node dies first.
 */
export async function waitForBrokers(options: WaitForBrokersOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs
  const state = { aborted: false }
  const abortWatch = options.abort.then(() => {
    state.aborted = true
  })
  while (Date.now() < deadline && !state.aborted) {
    const ids = await liveBrokerIds(options.address, 2_000, options.security)
    if (ids !== undefined && options.expectedIds.every((id) => ids.has(id))) return true
    await Promise.race([sleep(100), abortWatch])
  }
  return false
}
