// examples/migration/ runs as a user would run it: the Fastify bookings service over HTTP with its
// caller, then its migrated version over Kafka and HTTP at once with the switched caller — the
// story told must be the same every way — and the move is measured: app.ts (every handler) is
// untouched and the diff is the one docs/migration.md states.
import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { uniqueName, useKafka } from '../../support/kafka.ts'

const brokers = useKafka()
const root = fileURLToPath(new URL('../../../', import.meta.url))
const example = (file: string): string => `${root}examples/migration/${file}`
const running: ChildProcess[] = []

after(() => {
  for (const child of running) child.kill('SIGKILL')
})

/** Starts a server script; resolves with its HTTP address once it says it listens. */
async function startServer(script: string, env: Record<string, string>): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  running.push(child)
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${script} did not start within 60 s:\n${output}`))
    }, 60_000)
    const read = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with ${String(code)}:\n${output}`))
    })
  })
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve)
        child.kill('SIGTERM')
      }),
  }
}

/** Runs a caller script to the end; resolves with what it printed. */
function runCaller(script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout)
      else reject(new Error(`${script} failed: ${error.message}\n${stdout}\n${stderr}`))
    })
  })
}

/** The caller's story with the booking ids made comparable (each server numbers its own bookings). */
function story(stdout: string): string {
  return stdout.replace(/\bB\d+\b/g, 'B#')
}

describe('examples/migration: a Fastify service moved to Kafka', { timeout: 180_000 }, () => {
  it('tells the same story over HTTP, over Kafka, and over HTTP from the migrated server', async () => {
    const http = await startServer(example('http/server.ts'), {})
    const overHttp = await runCaller(example('http/caller.ts'), { BOOKINGS_URL: http.url })
    assert.equal(await http.stop(), 0)
    for (const line of ['created 201 at /bookings/B1', 'seat 200', 'invalid 400', "update: { flight: 'LO27', status: 'boarding' }", 'deleted 204', 'after delete 404']) assert.ok(overHttp.includes(line), `${line} in:\n${overHttp}`)

    const env = { KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: uniqueName('mig') }
    const migrated = await startServer(example('kafka/server.ts'), env)
    const overKafka = await runCaller(example('kafka/caller.ts'), env)
    assert.equal(story(overKafka), story(overHttp), 'the switched caller tells the same story over Kafka')
    const stillHttp = await runCaller(example('http/caller.ts'), { BOOKINGS_URL: migrated.url })
    assert.equal(story(stillHttp), story(overHttp), 'the migrated server still serves its HTTP callers')
    assert.equal(await migrated.stop(), 0)
  })

  it('changes no handler, and exactly the lines docs/migration.md states', async () => {
    const [before, afterMove] = await Promise.all([readFile(example('http/app.ts'), 'utf8'), readFile(example('kafka/app.ts'), 'utf8')])
    assert.equal(afterMove, before, 'app.ts, which holds every endpoint, is the same file')
    const stat = await new Promise<string>((resolve) => {
      // git diff --no-index exits 1 when the trees differ; its output is what we want.
      execFile('git', ['diff', '--no-index', '--stat', 'examples/migration/http', 'examples/migration/kafka'], { cwd: root }, (_error, stdout) => {
        resolve(stdout)
      })
    })
    const summary = stat.trim().split('\n').at(-1)?.trim()
    assert.ok(summary !== undefined && /files? changed/.test(summary), stat)
    const docs = await readFile(`${root}docs/migration.md`, 'utf8')
    assert.ok(docs.includes(summary), `docs/migration.md states the measured diff "${summary}"`)
  })
})
