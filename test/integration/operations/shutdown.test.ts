// Graceful shutdown on signals, as createService arranges it: under load, SIGTERM lets every request
// in flight finish and be answered (the rest goes to the replacement), the process exits 0 within
// its grace, and the replacement starts as fast as a first start; a second signal exits at once.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { route } from '../../../src/core/contracts.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'

const brokers = useKafka()
const child = fileURLToPath(new URL('shutdown-child.ts', import.meta.url))
const work = route('draining', 'POST /work', { body: z.object({ id: z.number(), ms: z.number() }), reply: z.object({ id: z.number(), by: z.string() }) })
const running: ChildProcess[] = []

after(() => {
  for (const process of running) process.kill('SIGKILL')
})

/** Starts a service process; resolves once it listens, with how long listen() took by its own clock. */
async function startService(env: Record<string, string>): Promise<{ process: ChildProcess; listenMs: number; output: () => string; exited: Promise<number | null> }> {
  const started = spawn(process.execPath, [child], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  running.push(started)
  let output = ''
  const exited = new Promise<number | null>((resolve) => started.once('exit', resolve))
  const listenMs = await new Promise<number>((resolve, reject) => {
    const read = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /listening in (\d+) ms/.exec(output)
      if (match?.[1] !== undefined) resolve(Number(match[1]))
    }
    started.stdout.on('data', read)
    started.stderr.on('data', read)
    void exited.then((code) => {
      reject(new Error(`the service exited with ${String(code)} before listening:\n${output}`))
    })
  })
  return { process: started, listenMs, output: () => output, exited }
}

describe('graceful shutdown on signals', { timeout: 180_000 }, () => {
  it('SIGTERM under load: every request answered, none lost; exit 0 within the grace; the replacement starts as fast as a first start', async () => {
    const prefix = uniqueName('drain')
    const env = { KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: prefix, GRACE_MS: '15000' }
    const first = await startService({ ...env, INSTANCE: 'first' })
    const client = new Client({ name: 'caller', policy: definePolicy({ prefix }), transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
    try {
      await client.ready()
      const calls: Promise<{ id: number; by: string } | Error>[] = []
      let id = 0
      const sender = setInterval(() => {
        const n = id++
        calls.push(client.call(work, { body: { id: n, ms: 300 }, key: String(n), timeout: 30_000 }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))))
      }, 25)
      await sleep(1_500)
      const signalledAt = Date.now()
      first.process.kill('SIGTERM')
      const replacement = await startService({ ...env, INSTANCE: 'replacement' })
      const code = await first.exited
      const exitMs = Date.now() - signalledAt
      await sleep(1_500)
      clearInterval(sender)
      const results = await Promise.all(calls)
      const failed = results.filter((result) => result instanceof Error)
      const byFirst = results.filter((result) => !(result instanceof Error) && result.by === 'first').length
      const byReplacement = results.filter((result) => !(result instanceof Error) && result.by === 'replacement').length
      console.log(`[shutdown] sent ${results.length} | answered ${results.length - failed.length} (first ${byFirst}, replacement ${byReplacement}) | failed ${failed.length} | exit code ${String(code)} after ${exitMs} ms | listen(): first ${first.listenMs} ms, replacement ${replacement.listenMs} ms`)
      assert.equal(code, 0, `exits 0:\n${first.output()}`)
      assert.ok(exitMs < 15_000, 'within the grace')
      assert.match(first.output(), /SIGTERM received, shutting down/)
      assert.deepEqual(
        failed.map((error) => (isKafkaIpcError(error) ? error.code : error.message)),
        [],
        'every request is answered, by the first instance or the replacement',
      )
      assert.ok(byFirst > 0 && byReplacement > 0)
      // The first instance left its group on the way out: no dead member holds the replacement up.
      assert.ok(replacement.listenMs < Math.max(1_000, first.listenMs * 3), `the replacement's listen() took ${String(replacement.listenMs)} ms`)
      replacement.process.kill('SIGTERM')
      assert.equal(await replacement.exited, 0)
    } finally {
      await client.close()
    }
  })

  it("leaves the exit to the application's own once-handler, and closes only the services that asked for the signal", async () => {
    const env = { KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: uniqueName('drain') }
    const own = await startService({ ...env, MODE: 'own-handler' })
    own.process.kill('SIGTERM')
    assert.equal(await own.exited, 0)
    assert.match(own.output(), /own clean-up finished/, 'the library did not exit before the application was done')
    const two = await startService({ ...env, MODE: 'two-services' })
    two.process.kill('SIGHUP')
    assert.equal(await two.exited, 0)
    assert.match(two.output(), /other closing/)
    assert.doesNotMatch(two.output(), /draining closing/, 'SIGHUP closes only the service that asked for it')
  })

  it('a second signal exits at once', async () => {
    const prefix = uniqueName('drain')
    const service = await startService({ KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: prefix, GRACE_MS: '60000' })
    const client = new Client({ name: 'caller', policy: definePolicy({ prefix }), transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
    try {
      // A handler that takes 20 s holds the first signal's shutdown.
      const slow = client.call(work, { body: { id: 1, ms: 20_000 }, timeout: 30_000 }).catch(() => undefined)
      await sleep(1_000)
      service.process.kill('SIGINT')
      await sleep(500)
      const secondAt = Date.now()
      service.process.kill('SIGINT')
      assert.equal(await service.exited, 130)
      assert.ok(Date.now() - secondAt < 2_000, 'at once')
      void slow
    } finally {
      await client.close()
    }
  })
})
