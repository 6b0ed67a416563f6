// The inboxes of instances that died without closing are found and deleted, and no live inbox is
// touched: ten instances SIGKILLed, one kept alive in its own process, one more started afterwards
// — after the idle threshold no dead inbox remains, the live ones stay and still answer.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { route } from '../../../src/core/contracts.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'

const brokers = useKafka()
const child = fileURLToPath(new URL('inbox-child.ts', import.meta.url))
const running: ChildProcess[] = []
/** Short for the test; production's default is 10 minutes. Heartbeats every 1 s, a second look 2 s after the first. */
const idleMs = 5_000

after(() => {
  for (const process of running) process.kill('SIGKILL')
})

/** Starts an instance in a process of its own; resolves with its inbox topic once it listens. */
async function startInstance(env: Record<string, string>): Promise<{ process: ChildProcess; inbox: string }> {
  const started = spawn(process.execPath, [child], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  running.push(started)
  let output = ''
  const inbox = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /inbox (\S+):0/.exec(output)
      if (match?.[1] !== undefined) resolve(match[1])
    }
    started.stdout.on('data', read)
    started.stderr.on('data', read)
    started.once('exit', (code) => {
      reject(new Error(`the instance exited with ${String(code)} before listening:\n${output}`))
    })
  })
  return { process: started, inbox }
}

describe('inbox sweep', { timeout: 180_000 }, () => {
  it('SIGKILL 10 instances, start one more: after the idle threshold no dead inbox remains, live ones are untouched', async () => {
    const prefix = uniqueName('sweep')
    const env = { KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: prefix, KIPC_INBOX_IDLE_MS: String(idleMs) }
    const policy = definePolicy({ prefix, inboxIdleMs: idleMs })
    const victims = await Promise.all(Array.from({ length: 10 }, (_, index) => startInstance({ ...env, INSTANCE: `victim${String(index)}` })))
    const survivor = await startInstance({ ...env, SERVICE: 'sweep-survivor', INSTANCE: 'survivor' })
    const deadInboxes = victims.map((victim) => victim.inbox)
    for (const victim of victims) victim.process.kill('SIGKILL')
    const killedAt = Date.now()
    const ping = route('sweep-survivor', 'GET /ping', { reply: z.object({ instance: z.string() }) })
    const sweeper = new Service({ name: 'sweep-sweeper', instanceId: 'sweeper', policy, transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
    const admin = kafkaTransport({ brokers: brokers() })
    try {
      await sweeper.listen()
      const ownInbox = `${prefix}.inbox.sweep-sweeper.sweeper`
      let remaining = deadInboxes
      let goneAfterMs: number | undefined
      while (Date.now() - killedAt < 90_000) {
        const inboxes = new Set(await admin.listTopics(`${prefix}.inbox.`))
        assert.ok(inboxes.has(survivor.inbox), `the live instance's inbox ${survivor.inbox} was deleted`)
        assert.ok(inboxes.has(ownInbox), 'the sweeping instance deleted its own inbox')
        remaining = deadInboxes.filter((topic) => inboxes.has(topic))
        if (remaining.length === 0) {
          goneAfterMs = Date.now() - killedAt
          break
        }
        await sleep(250)
      }
      assert.deepEqual(remaining, [], 'dead inboxes left after 90 s')
      assert.ok(goneAfterMs !== undefined && goneAfterMs >= idleMs - 1_500, `inboxes deleted after ${String(goneAfterMs)} ms: before their owners could have counted as idle (${String(idleMs)} ms)`)
      // Two more sweeps' worth of time: the live inboxes stay, and the survivor still answers.
      await sleep(idleMs)
      const inboxes = new Set(await admin.listTopics(`${prefix}.inbox.`))
      assert.ok(inboxes.has(survivor.inbox) && inboxes.has(ownInbox), 'a live inbox was deleted')
      assert.deepEqual(await sweeper.call(ping, { timeout: 15_000 }), { instance: 'survivor' })
      console.log(`[inbox sweep] 10 SIGKILLed instances' inboxes deleted ${String(goneAfterMs)} ms after the kill (idle threshold ${String(idleMs)} ms); 2 live inboxes untouched`)
    } finally {
      survivor.process.kill('SIGKILL')
      await sweeper.close()
      await admin.close()
    }
  })
})
