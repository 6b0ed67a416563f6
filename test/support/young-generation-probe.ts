// Run as its own process (`node --expose-gc young-generation-probe.ts <scenario>`) by
// test/unit/core/finished-calls-die-young.test.ts: prints, as JSON, the bytes per operation that
// outlived young-generation collections. Its own process, because the test runner tracks every
// promise with async hooks — a Map entry per promise, which promotes what the promises hold — and
// would measure itself.
import { Session } from 'node:inspector/promises'
import { z } from 'zod'
import { Client } from '../../src/core/client.ts'
import { route } from '../../src/core/contracts.ts'
import { IdTable } from '../../src/core/id-table.ts'
import { stderrLogger } from '../../src/core/logger.ts'
import { definePolicy } from '../../src/core/policy.ts'
import { Service } from '../../src/core/service.ts'
import { memoryTransport } from '../../src/transports/memory/memory-transport.ts'

const gc = (globalThis as { gc?: (options: { type: 'minor' | 'major' }) => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

interface SampleNode {
  readonly callFrame: { readonly url: string }
  readonly selfSize: number
  readonly children: readonly SampleNode[]
}

/**
 * Runs `work` while V8's sampling heap profiler keeps only the objects no young collection took —
 * promoted to the old generation, or alive at the end — and returns the bytes sampled whose
 * innermost frame from this repository is in a file `counts` accepts.
 */
async function bytesOutlivingYoungCollections(counts: (url: string) => boolean, work: () => Promise<void>): Promise<number> {
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.enable')
  await session.post('HeapProfiler.startSampling', { samplingInterval: 1_024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false })
  await work()
  // What died since the last young collection has not been taken yet: two take it.
  gc?.({ type: 'minor' })
  gc?.({ type: 'minor' })
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampleNode } }
  session.disconnect()
  let bytes = 0
  const walk = (node: SampleNode, innermost: string | undefined): void => {
    const ours = node.callFrame.url.includes('/src/') || node.callFrame.url.includes('/test/') ? node.callFrame.url : innermost
    if (ours !== undefined && counts(ours)) bytes += node.selfSize
    for (const child of node.children) walk(child, ours)
  }
  walk(profile.head, undefined)
  return bytes
}

/** Young collections with nothing of the load running: what lives now moves to the old generation, as any pause in a service's load does. */
function pause(): void {
  let garbage: object[] = []
  for (let index = 0; index < 2_000_000; index++) {
    garbage.push({ index })
    if (garbage.length > 1_000) garbage = []
  }
}

const Payload = z.object({ id: z.number(), from: z.string(), to: z.string(), note: z.string() })
const echo = route('echo', 'POST /echo', { body: Payload, reply: Payload })

/**
 * Calls at concurrency 256 between a client and a service on the memory transport, answered at
 * once or by an asynchronous handler, with an ordering key or none. kafka-ipc's code is counted,
 * the memory transport's is not: its broker keeps every record, as a log does.
 */
async function calls(handler: 'sync' | 'async', keyed = false): Promise<number> {
  const transport = memoryTransport()
  const policy = definePolicy({ prefix: 'young' })
  const logger = stderrLogger('silent')
  const service = new Service({ name: 'echo', policy, transport, logger })
  if (handler === 'sync') service.handle(echo, (request) => request.body)
  else service.handle(echo, (request) => Promise.resolve(request.body))
  const client = new Client({ name: 'caller', policy, transport, logger })
  await service.listen()
  await client.ready()
  const callMany = async (total: number): Promise<void> => {
    let next = 0
    const loop = async (): Promise<void> => {
      while (next < total) {
        const id = next++
        const body = { id, from: 'WAW', to: 'JFK', note: 'x'.repeat(24) }
        await client.call(echo, keyed ? { body, key: `customer-${String(id % 1_000)}` } : { body })
      }
    }
    await Promise.all(Array.from({ length: 256 }, loop))
  }
  await callMany(5_000)
  pause()
  const total = 20_000
  const bytes = await bytesOutlivingYoungCollections((url) => url.includes('/src/') && !url.includes('/src/transports/memory/'), () => callMany(total))
  await client.close()
  await service.close()
  await transport.close()
  return bytes / total
}

/** A table churned as a client's waiting calls churn it — 256 waiting, the oldest done as a new one starts — each entry holding a small object graph, after a pause. */
async function churn(table: { set(id: string, value: object): unknown; delete(id: string): unknown }): Promise<number> {
  const waiting: string[] = []
  let next = 0
  const add = (): void => {
    const id = `call-${String(next++)}-${Math.random().toString(36).slice(2)}`
    table.set(id, { id, body: { seats: Array.from({ length: 8 }, (_, index) => index) } })
    waiting.push(id)
  }
  for (let index = 0; index < 256; index++) add()
  pause()
  const total = 300_000
  const bytes = await bytesOutlivingYoungCollections(
    (url) => url.includes('young-generation-probe'),
    () => {
      for (let index = 0; index < total; index++) {
        table.delete(waiting.shift() as string)
        add()
      }
      return Promise.resolve()
    },
  )
  return bytes / total
}

const scenarios: Readonly<Record<string, () => Promise<number>>> = {
  calls: () => calls('sync'),
  'calls-async-handler': () => calls('async'),
  'keyed-calls-async-handler': () => calls('async', true),
  'map-churn': () => churn(new Map<string, object>()),
  'id-table-churn': () => churn(new IdTable<object>()),
}
const scenario = scenarios[process.argv[2] ?? '']
if (scenario === undefined) throw new Error(`scenario: one of ${Object.keys(scenarios).join(', ')}`)
process.stdout.write(`${JSON.stringify({ bytesPerOperation: await scenario() })}\n`)
