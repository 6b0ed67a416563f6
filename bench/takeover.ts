// Takeover after a crash, and false evictions under pauses, per consumer group setting: two
// responder instances (child processes, 200 ms per request) share a request topic while a caller
// keeps 32 calls in flight; then one instance is SIGKILLed (the crash run) or blocks its event loop
// for TAKEOVER_PAUSE_MS, default 2,000 ms, as a long GC pause would (the pause run). Printed per
// setting: the longest stretch with no answer after the crash (how long its partitions waited for
// the survivor) and the worst round trip, and — for the pause — whether the paused member was
// evicted (requests it was running were run again by the other: executed twice > 0).
// Rows: the classic protocol with session timeouts of 10 s, 6 s (the broker's default minimum) and
// 3 s (the broker's minimum lowered), and KIP-848's consumer protocol with the broker's default
// session (45 s) and one lowered to 3 s. Single-node local clusters: the group coordinator is what
// is measured. Writes bench/results/takeover.md. A program, not a test: figures depend on the machine.
import { fork } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { Client } from '../src/core/client.ts'
import { route } from '../src/core/contracts.ts'
import { definePolicy, type Policy } from '../src/core/policy.ts'
import { Service } from '../src/core/service.ts'
import { LocalKafka } from '../src/local-kafka/index.ts'
import { kafkaTransport } from '../src/transports/kafka/kafka-transport.ts'
import type { KafkaTuning } from '../src/transports/kafka/kafka-tuning.ts'
import { envNumber, log, machineLine, markdownTable, whole, writeResult } from './lib/run-env.ts'

const work = route('takeover', 'POST /work', { body: z.object({ id: z.number().int() }), reply: z.object({ id: z.number().int() }) })
const handlerMs = 200
const concurrency = 32
const steadyMs = 4_000
const pauseMs = envNumber('TAKEOVER_PAUSE_MS', 2_000)

/** One consumer group setting to measure. */
interface Setting {
  readonly name: string
  readonly cluster: 'lowered' | 'consumer-lowered'
  readonly tuning: Partial<KafkaTuning>
  /** How long the crash run keeps the load on after the crash: past the setting's takeover. */
  readonly patienceMs: number
}

const settings: readonly Setting[] = [
  { name: 'classic, session 10 s (kafka-ipc ≤ 0.x default)', cluster: 'lowered', tuning: { groupProtocol: 'classic', sessionTimeout: 10_000 }, patienceMs: 25_000 },
  { name: 'classic, session 6 s (the broker minimum by default)', cluster: 'lowered', tuning: { groupProtocol: 'classic', sessionTimeout: 6_000 }, patienceMs: 20_000 },
  { name: 'classic, session 3 s (broker minimum lowered)', cluster: 'lowered', tuning: { groupProtocol: 'classic', sessionTimeout: 3_000 }, patienceMs: 15_000 },
  { name: 'consumer (KIP-848), broker session 45 s (default)', cluster: 'lowered', tuning: { groupProtocol: 'consumer' }, patienceMs: 70_000 },
  { name: 'consumer (KIP-848), broker session 3 s', cluster: 'consumer-lowered', tuning: { groupProtocol: 'consumer' }, patienceMs: 15_000 },
]

/** Broker settings of each cluster: the classic minimum lowered on both; KIP-848's session on the second. */
const clusters = {
  lowered: { 'group.min.session.timeout.ms': 1_000 },
  'consumer-lowered': { 'group.min.session.timeout.ms': 1_000, 'group.consumer.min.session.timeout.ms': 1_000, 'group.consumer.session.timeout.ms': 3_000, 'group.consumer.min.heartbeat.interval.ms': 500, 'group.consumer.heartbeat.interval.ms': 1_000 },
} as const

/** What one run measured. */
interface RunResult {
  readonly sent: number
  readonly answered: number
  readonly failed: number
  readonly longestSilenceMs: number
  readonly worstRoundTripMs: number
  readonly executedTwice: number
}

// ——— a responder, in a child process ———

if (process.argv[2] === '--responder') {
  const [prefix = '', tuningJson = '{}', pauseAt = '0'] = process.argv.slice(3)
  const policy = definePolicy({ prefix, partitions: 6, timeoutMs: 60_000 })
  const service = new Service({ name: work.service, policy, transport: kafkaTransport({ tuning: JSON.parse(tuningJson) as Partial<KafkaTuning> }), ownsTransport: true })
  service.handle(work, async (request) => {
    await sleep(handlerMs)
    process.send?.({ done: request.body.id })
    return { id: request.body.id }
  })
  await service.listen()
  process.send?.({ ready: true })
  process.on('message', (message: { pause?: boolean }) => {
    if (message.pause !== true) return
    // A stop-the-world pause: nothing on this event loop runs, heartbeats included.
    const until = Date.now() + Number(pauseAt)
    while (Date.now() < until) {
      // busy
    }
    process.send?.({ paused: true })
  })
} else {
  await main()
}

async function main(): Promise<void> {
  const rows: string[][] = []
  let version = ''
  for (const cluster of ['lowered', 'consumer-lowered'] as const) {
    const kafka = await LocalKafka.start({ brokerConfig: clusters[cluster] })
    version = kafka.kafkaVersion
    try {
      for (const setting of settings.filter((candidate) => candidate.cluster === cluster)) {
        log(`${setting.name}: crash run`)
        const crash = await measure(kafka, setting, 'crash')
        log(`${setting.name}: pause run`)
        const paused = await measure(kafka, setting, 'pause')
        rows.push([setting.name, whole(crash.longestSilenceMs), whole(crash.worstRoundTripMs), `${whole(crash.answered)} / ${whole(crash.sent)}`, whole(paused.executedTwice), paused.executedTwice > 0 ? 'evicted' : 'kept', whole(paused.longestSilenceMs)])
        log(`${setting.name}: ${JSON.stringify({ crash, paused })}`)
      }
    } finally {
      await kafka.stop()
    }
  }
  const table = markdownTable(['setting', 'crash: no answer for (ms)', 'crash: worst round trip (ms)', 'crash: answered / sent', `pause ${whole(pauseMs)} ms: run twice`, 'pause: member', 'pause: no answer for (ms)'], [false, true, true, false, true, false, true], rows)
  const text = `# Takeover after a crash, per consumer group setting\n\n${machineLine(version)}\n\n${table}\n`
  console.log(text)
  await writeResult('takeover.md', text)
}

/** One run: two responders, 32 calls in flight, then the fault, until answers flow again. */
async function measure(kafka: LocalKafka, setting: Setting, fault: 'crash' | 'pause'): Promise<RunResult> {
  const policy: Policy = definePolicy({ prefix: `takeover-${String(Date.now())}`, partitions: 6, timeoutMs: 60_000 })
  const done = new Map<number, number>()
  const responders = ['a', 'b'].map(() => {
    const child = fork(fileURLToPath(import.meta.url), ['--responder', policy.prefix, JSON.stringify(setting.tuning), String(pauseMs)], { env: { ...process.env, KAFKA_BROKERS: kafka.brokers.join(',') }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    const ready = new Promise<void>((resolve) => {
      child.on('message', (message: { ready?: boolean; done?: number }) => {
        if (message.ready === true) resolve()
        if (message.done !== undefined) done.set(message.done, (done.get(message.done) ?? 0) + 1)
      })
    })
    return { child, ready }
  })
  const client = new Client({ name: 'caller', policy, transport: kafkaTransport({ brokers: kafka.brokers }), ownsTransport: true })
  try {
    await Promise.all(responders.map((responder) => responder.ready))
    // Both members hold partitions before the load starts.
    await sleep(3_000)
    let sent = 0
    let answered = 0
    let failed = 0
    let faultAt = 0
    let lastAnswerAt = 0
    let longestSilenceMs = 0
    let worstRoundTripMs = 0
    let running = true
    const lane = async (): Promise<void> => {
      while (running) {
        const id = sent++
        const sentAt = Date.now()
        try {
          await client.call(work, { body: { id }, key: String(id), timeout: 60_000 })
          answered++
          const now = Date.now()
          if (faultAt > 0) {
            longestSilenceMs = Math.max(longestSilenceMs, now - lastAnswerAt)
            worstRoundTripMs = Math.max(worstRoundTripMs, now - sentAt)
          }
          lastAnswerAt = now
        } catch {
          failed++
        }
      }
    }
    const lanes = Array.from({ length: concurrency }, () => lane())
    await sleep(steadyMs)
    faultAt = Date.now()
    lastAnswerAt = faultAt
    const victim = responders[0]
    if (fault === 'crash') victim?.child.kill('SIGKILL')
    else victim?.child.send({ pause: true })
    // Long enough for the slowest takeover of the setting, and answers flowing again after it.
    await sleep(fault === 'crash' ? setting.patienceMs : 10_000)
    running = false
    await Promise.all(lanes)
    return { sent, answered, failed, longestSilenceMs, worstRoundTripMs, executedTwice: [...done.values()].filter((count) => count > 1).length }
  } finally {
    await client.close()
    for (const { child } of responders) child.kill('SIGKILL')
  }
}
