// What the secured-broker tests share: the ACLs docs/security.md lists for an instance and a
// service, a count of connection attempts, and a listen() that a refused login ends.
import { tracingChannel } from 'node:diagnostics_channel'
import type { LocalKafkaAcl } from '../../../src/local-kafka/acl-rules.ts'

/** Every instance: its own inbox (create, read) and everyone's (write answers and cancels, describe and delete dead ones for the sweep). */
export function instanceAcls(prefix: string, name: string): LocalKafkaAcl[] {
  return [
    { principal: name, resource: 'topic', name: `${prefix}.inbox.`, pattern: 'prefixed', operations: ['DESCRIBE', 'WRITE', 'DELETE'] },
    { principal: name, resource: 'topic', name: `${prefix}.inbox.${name}.`, pattern: 'prefixed', operations: ['CREATE', 'READ'] },
  ]
}

/**
 * A service: read (and create) its request topic and the events it handles, read its two groups;
 * with events, write (and create) its dead-letter topic.
 */
export function serviceAcls(prefix: string, name: string, events: readonly string[]): LocalKafkaAcl[] {
  return [
    ...instanceAcls(prefix, name),
    { principal: name, resource: 'topic', name: `${prefix}.${name}.requests`, operations: ['READ', 'CREATE'] },
    ...events.map((topic): LocalKafkaAcl => ({ principal: name, resource: 'topic', name: `${prefix}.event.${topic}`, operations: ['READ', 'CREATE'] })),
    ...(events.length === 0 ? [] : [{ principal: name, resource: 'topic', name: `${prefix}.${name}.dead-letters`, operations: ['WRITE', 'CREATE'] } satisfies LocalKafkaAcl]),
    { principal: name, resource: 'group', name: `${prefix}.${name}`, operations: ['READ'] },
    ...(events.length === 0 ? [] : [{ principal: name, resource: 'group', name: `${prefix}.${name}.events`, operations: ['READ'] } satisfies LocalKafkaAcl]),
  ]
}

/** Counts connection attempts to one port, through @platformatic/kafka's diagnostics channel. */
function countConnects(port: number): { readonly count: () => number; readonly stop: () => void } {
  let count = 0
  const channel = tracingChannel<unknown, { port?: unknown }>('plt:kafka:connections:connects')
  const ignore = (): void => undefined
  const handlers = {
    start: (context: { port?: unknown }) => {
      if (context.port === port) count++
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd: ignore,
    error: ignore,
  }
  channel.subscribe(handlers)
  return {
    count: () => count,
    stop: () => {
      channel.unsubscribe(handlers)
    },
  }
}

/** How a service's listen() ended: its error, how long it took, and how many connections it made to `port`. */
export async function refusedListen(service: { listen(): Promise<void>; close(): Promise<void> }, port: number): Promise<{ error: unknown; tookMs: number; connects: number }> {
  const connects = countConnects(port)
  const started = performance.now()
  const error: unknown = await service.listen().catch((caught: unknown) => caught)
  const tookMs = Math.round(performance.now() - started)
  connects.stop()
  await service.close()
  return { error, tookMs, connects: connects.count() }
}
