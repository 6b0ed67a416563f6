import { Connection, saslHandshakeV1 } from '@platformatic/kafka'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { errorTree } from './error-tree.ts'

/**
 * The SASL mechanisms the listener at `address` (`host:port`) offers, asked with one SaslHandshake
 * — over TLS when `tls` is given: a listener that expects a login answers with the mechanisms it
 * takes, whatever the one asked for; a listener without SASL refuses the request
 * (ILLEGAL_SASL_STATE) and offers none. Undefined when it cannot tell (no connection, no answer).
 * For a client without SASL whose connections the broker closes at the first request: the answer
 * tells a listener that wants a login from a broker that is going away.
 *
 * @example
 * ```ts
 * await saslMechanismsOffered('kafka-1:9094', {}, 2_000) // ['SCRAM-SHA-512']
 * ```
 */
export async function saslMechanismsOffered(address: string, tls: TlsConnectionOptions | undefined, timeoutMs: number): Promise<string[] | undefined> {
  const colon = address.lastIndexOf(':')
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1')
  const port = Number(address.slice(colon + 1))
  if (colon < 1 || !Number.isInteger(port)) return undefined
  const connection = new Connection('kafka-ipc-probe', { connectTimeout: timeoutMs, requestTimeout: timeoutMs, ...(tls === undefined ? {} : { tls }) })
  try {
    await connection.connect(host, port)
    return (await saslHandshakeV1.api.async(connection, 'PLAIN')).mechanisms
  } catch (error) {
    // UNSUPPORTED_SASL_MECHANISM (PLAIN not enabled) still lists the mechanisms that are.
    for (const node of errorTree(error)) {
      const response = node['response'] as { mechanisms?: unknown } | undefined
      if (Array.isArray(response?.mechanisms)) return response.mechanisms.filter((mechanism): mechanism is string => typeof mechanism === 'string')
    }
    return undefined
  } finally {
    await connection.close().catch(() => undefined)
  }
}
