// Memory of one responder under load: bench/lib/responder-process.js runs the responder alone in a
// child Node process (the built package, plain JavaScript — as a service runs in production) while
// this process calls it at a fixed concurrency; the child reports its RSS at start, after imports,
// idle and at peak. The caller's memory is not counted: it lives in this process. The tuned raw
// @platformatic/kafka responder (bench/lib/raw-responder.js) is measured the same way: the
// reference for what a responder on the client library alone takes.
import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { Agent } from 'node:http'
import { fileURLToPath } from 'node:url'
import { Client } from '../../src/core/client.ts'
import { definePolicy } from '../../src/core/policy.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import type { LoadReport } from './load-report.ts'
import { measure } from './measure.ts'
import { log } from './run-env.ts'
import { echo, httpEcho, payload } from './systems.ts'
import { createRawTopics, startRawCaller } from './raw-tuned.ts'

interface Ready {
  readonly stage: 'ready'
  readonly rssAtStart: number
  readonly rssAfterImports: number
  readonly rssIdle: number
  readonly port?: number
}

interface Report {
  readonly stage: 'report'
  readonly maxRss: number
  readonly cpuMicros: number
  readonly keptPerScavenge: number
  readonly youngGeneration: number
}

/** A caller for the child's responder: one request, resolved with the reply. */
interface Caller {
  call(index: number): Promise<unknown>
  stop(): Promise<void>
}

/** Runs `calls` requests at `concurrency` against one responder alone in a child process. */
export async function measureResponderMemory(system: 'kafka-ipc' | 'raw' | 'http', brokers: readonly string[], calls: number, concurrency: number, nodeFlags: readonly string[] = []): Promise<LoadReport> {
  const prefix = `bench-mem-${randomUUID().slice(0, 8)}`
  // The raw pair's topics are made here, before its responder starts: it does not create them.
  const rawTopics = system === 'raw' ? await createRawTopics(brokers, prefix) : undefined
  const program = fileURLToPath(new URL('responder-process.js', import.meta.url))
  log(`child process: one ${system} responder${nodeFlags.length > 0 ? ` (node ${nodeFlags.join(' ')})` : ''}; ${calls} calls at concurrency ${concurrency} from this process…`)
  const child = fork(program, [system, prefix], { execArgv: [...nodeFlags], env: { ...process.env, KAFKA_BROKERS: brokers.join(',') }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => { reject(new Error(`the ${system} responder exited early (code ${String(code)})`)) }))
  exited.catch(() => undefined)
  const next = <T>(stage: string): Promise<T> =>
    Promise.race([exited, new Promise<T>((resolve) => {
      const onMessage = (message: { stage?: string }): void => {
        if (message.stage !== stage) return
        child.off('message', onMessage)
        resolve(message as T)
      }
      child.on('message', onMessage)
    })])
  try {
    const ready = await next<Ready>('ready')
    const caller = system === 'http' ? httpCaller(ready.port ?? 0, concurrency) : rawTopics === undefined ? await kafkaCaller(brokers, prefix) : await startRawCaller(brokers, rawTopics.requests, rawTopics.replies)
    let perSecond: number
    try {
      await caller.call(0)
      perSecond = (await measure('load', (index) => caller.call(index), { total: calls, concurrency, warmup: 0 })).perSecond
    } finally {
      await caller.stop()
    }
    const reporting = next<Report>('report')
    child.send('report')
    const { maxRss, cpuMicros, keptPerScavenge, youngGeneration } = await reporting
    // The warm-up call is in the CPU figure too: one call in thousands.
    return { system: [system, ...nodeFlags].join(' '), calls, concurrency, perSecond, rssAtStart: ready.rssAtStart, rssAfterImports: ready.rssAfterImports, rssIdle: ready.rssIdle, maxRss, cpuMicrosPerCall: cpuMicros / (calls + 1), keptPerScavenge, youngGeneration }
  } finally {
    if (child.exitCode === null) await new Promise((resolve) => { child.once('exit', resolve); setTimeout(() => child.kill(), 10_000).unref() })
    await rawTopics?.removeTopics()
  }
}

async function kafkaCaller(brokers: readonly string[], prefix: string): Promise<Caller> {
  const transport = kafkaTransport({ brokers })
  const client = new Client({ name: 'bench-caller', policy: definePolicy({ prefix, partitions: 6 }), transport })
  await client.ready()
  return {
    call: (index) => client.call(echo, { body: payload(index) }),
    async stop() {
      await client.close()
      await transport.close()
    },
  }
}

function httpCaller(port: number, concurrency: number): Caller {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  return {
    call: (index) => httpEcho(port, agent, index),
    stop() {
      agent.destroy()
      return Promise.resolve()
    },
  }
}
