// A broker started by a test (without `detached`) never outlives the process that started it,
// however that process ends: Ctrl-C (SIGINT) or SIGTERM from a test runner or CI.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { isAlive } from '../../../src/local-kafka/processes.ts'
import { waitUntil } from '../../conformance/request-reply.ts'

const child = fileURLToPath(new URL('exit-child.ts', import.meta.url))

describe('local Kafka at process exit', { timeout: 180_000 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops the broker when the process that started it gets ${signal}`, async () => {
      const data = await mkdtemp(join(tmpdir(), 'kipc-exit-'))
      const starter = spawn(process.execPath, [child], { env: { ...process.env, DATA_DIR: data }, stdio: ['ignore', 'pipe', 'inherit'] })
      let output = ''
      starter.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const exited = new Promise<NodeJS.Signals | null>((resolve) => starter.once('exit', (_code, received) => { resolve(received); }))
      let brokerPid = 0
      try {
        await waitUntil(() => /broker pid \d+/.test(output), 'the broker started', 120_000)
        brokerPid = Number(/broker pid (\d+)/.exec(output)?.[1])
        assert.equal(await isAlive(brokerPid), true)
        starter.kill(signal)
        assert.equal(await exited, signal, `the process still ends by ${signal}`)
        // The broker is killed synchronously at exit; give the OS a moment to reap it.
        for (let attempt = 0; attempt < 50 && (await isAlive(brokerPid)); attempt++) await new Promise((resolve) => setTimeout(resolve, 100))
        assert.equal(await isAlive(brokerPid), false, 'no broker is left running')
      } finally {
        starter.kill('SIGKILL')
        if (brokerPid > 0 && (await isAlive(brokerPid))) process.kill(brokerPid, 'SIGKILL')
        await rm(data, { recursive: true, force: true })
      }
    })
  }
})
