// The conformance suite runs unchanged on every transport (FastStream's approach): a harness
// says how to make a transport on the broker under test; the suite does the rest.
import { afterEach } from 'node:test'
import { Client, type ClientOptions } from '../../src/core/client.ts'
import { definePolicy, type Policy, type PolicyInput } from '../../src/core/policy.ts'
import { Service, type ServiceOptions } from '../../src/core/service.ts'
import type { Transport } from '../../src/core/transport.ts'
import { uniqueName } from '../support/kafka.ts'

/** How the suite reaches the broker under test. */
export interface Harness {
  readonly name: string
  /** A new transport on the shared broker, as a separate process would have. */
  transport(): Transport
}

/** Per-test helpers: a fresh policy prefix, and services and clients closed after the test. */
export interface TestKit {
  readonly policy: Policy
  readonly transport: () => Transport
  readonly service: (name: string, options?: Partial<ServiceOptions>) => Service
  readonly client: (name: string, options?: Partial<ClientOptions>) => Client
  /** Errors reported through onError by anything this kit made. */
  readonly errors: unknown[]
}

/**
 * Returns a function that builds a kit for the current test. Everything the kit made is closed
 * after each test, so no test leaks consumers into the next.
 */
export function useKit(harness: () => Harness): (policy?: PolicyInput) => TestKit {
  const open: { close(): Promise<void> }[] = []
  const transports: Transport[] = []
  afterEach(async () => {
    // Services and clients first (they delete their inboxes through the transport), then transports.
    await Promise.all(open.splice(0).map((item) => item.close().catch(() => undefined)))
    await Promise.all(transports.splice(0).map((item) => item.close().catch(() => undefined)))
  })
  return (policyInput = {}) => {
    const policy = definePolicy({ prefix: uniqueName('t'), partitions: 3, timeoutMs: 5_000, ...policyInput })
    const errors: unknown[] = []
    const transport = (): Transport => {
      const made = harness().transport()
      transports.push(made)
      return made
    }
    const onError = (error: unknown): void => {
      errors.push(error)
    }
    return {
      policy,
      transport,
      errors,
      service: (name, options = {}) => {
        const service = new Service({ name, policy, transport: transport(), onError, ...options })
        open.push(service)
        return service
      },
      client: (name, options = {}) => {
        const client = new Client({ name, policy, transport: transport(), onError, ...options })
        open.push(client)
        return client
      },
    }
  }
}
