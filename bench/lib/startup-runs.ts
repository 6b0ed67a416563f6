// Start-up of a kafka-ipc service and a fresh client, timed run by run, each run on a fresh policy
// prefix (new topics, new consumer group) and fresh transports (new broker connections).
import { randomUUID } from 'node:crypto'
import { createClient } from '../../src/create.ts'
import { definePolicy } from '../../src/core/policy.ts'
import { Service } from '../../src/core/service.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { log, waitUntil } from './run-env.ts'
import { echo, payload } from './systems.ts'

/** One start-up, in ms from `new Service(...)` (or, for the client, from `createClient`). */
export interface StartupRun {
  /** `new Service(...)`, `handle`, `listen()` resolved. */
  readonly listenMs: number
  /** …and every partition of the request topic assigned to it. */
  readonly assignedMs: number
  /** `createClient(...)` and its first `call()` answered (opens the inbox, checks the topic). */
  readonly firstCallMs: number
  /** The same client's second `call()`. */
  readonly secondCallMs: number
}

export async function timeStartup(brokers: string[], partitions: number): Promise<StartupRun> {
  const policy = definePolicy({ prefix: `bench-up-${randomUUID().slice(0, 8)}`, partitions })
  const serviceTransport = kafkaTransport({ brokers })
  const clientTransport = kafkaTransport({ brokers })
  const began = performance.now()
  const service = new Service({ name: 'bench', policy, transport: serviceTransport }).handle(echo, (req) => req.body)
  let client: ReturnType<typeof createClient> | undefined
  try {
    await service.listen()
    const listenMs = performance.now() - began
    await waitUntil(() => service.assignments().length === partitions, 'the service holds every partition')
    const assignedMs = performance.now() - began
    const callBegan = performance.now()
    client = createClient({ name: 'bench-caller', policy, transport: clientTransport })
    await client.call(echo, { body: payload(0) })
    const firstCallMs = performance.now() - callBegan
    const secondBegan = performance.now()
    await client.call(echo, { body: payload(1) })
    const secondCallMs = performance.now() - secondBegan
    log(`  listen ${listenMs.toFixed(0)} ms, assigned ${assignedMs.toFixed(0)} ms, first call ${firstCallMs.toFixed(1)} ms, second ${secondCallMs.toFixed(1)} ms`)
    return { listenMs, assignedMs, firstCallMs, secondCallMs }
  } finally {
    await client?.close()
    await service.close()
    await Promise.all([serviceTransport.close(), clientTransport.close()])
  }
}
