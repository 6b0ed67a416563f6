// `kafka-ipc gateway` end to end: the command as a user runs it (a child process), exposing routes
// from a config file and a flag, called with Node's fetch, then stopped with SIGTERM while a
// request is in flight — which still gets its answer. Its argument checks run in-process.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { main } from '../../../src/cli/main.ts'
import { useKafka } from '../../support/kafka.ts'
import { bodyText, type Fleet, startFleet } from './gateway-services.ts'

const brokers = useKafka()
const bin = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'bin.ts')

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('kafka-ipc gateway', { timeout: 60_000 }, () => {
  it('prints its help, and refuses bad arguments with exit code 2 before connecting to anything', async () => {
    const help = await run('gateway', '--help')
    assert.equal(help.code, 0)
    assert.match(help.out, /--expose SPEC/)
    assert.match((await run('--help')).out, /gateway {2,}Serve HTTP/)
    const cases: [string[], RegExp][] = [
      [[], /Nothing is exposed: add --expose/],
      [['--expose', 'pricing'], /--expose takes service=\* or service=METHOD \/path/],
      [['--expose', 'pricing=FETCH /quotes'], /must look like 'GET \/quotes\/:id'/],
      [['--expose', 'shop=*', '--port', 'eighty'], /--port takes a whole number from 0 to 65535/],
      [['--expose', 'shop=*', '--max-body-bytes', '0'], /--max-body-bytes takes a whole number from 1/],
      [['--expose', 'shop=*', '--config', '/nonexistent/gateway.json'], /cannot be read as JSON/],
      [['--expose', 'shop=*', 'extra'], /Unexpected argument "extra"/],
      [['--expose', 'shop=*', '--bogus'], /KIPC_INVALID_ARGUMENT/],
    ]
    for (const [argv, message] of cases) {
      const result = await run('gateway', ...argv)
      assert.equal(result.code, 2, argv.join(' '))
      assert.match(result.err, message, argv.join(' '))
    }
  })

  describe('as a process', () => {
    let fleet: Fleet
    let folder: string

    before(async () => {
      fleet = await startFleet(brokers())
      folder = await mkdtemp(join(tmpdir(), 'kipc-gateway-'))
    })
    after(async () => {
      await fleet.close()
      await rm(folder, { recursive: true, force: true })
    })

    it('serves what its config file and --expose flags expose, and shuts down gracefully on SIGTERM', async () => {
      const config = join(folder, 'gateway.json')
      await writeFile(config, JSON.stringify({ basePath: '/api', expose: { pricing: ['GET /quotes/:id', 'GET /slow'] } }))
      const env = { ...process.env, KIPC_PREFIX: fleet.policy.prefix, KIPC_PARTITIONS: String(fleet.policy.partitions) }
      const child = spawn(process.execPath, [bin, 'gateway', '--config', config, '--expose', 'shop=*', '--port', '0', '--brokers', brokers().join(',')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      try {
        const deadline = Date.now() + 30_000
        while (!out.includes('\n') && Date.now() < deadline && child.exitCode === null) await sleep(50)
        const base = /^kafka-ipc gateway listening on (http:\/\/127\.0\.0\.1:\d+\/api) exposing pricing \(2 routes\), shop \(\*\)\n$/.exec(out)?.[1]
        assert.ok(base !== undefined, `one line when listening; stdout: ${out} stderr: ${err}`)

        const quote = await fetch(`${base}/pricing/quotes/Q5?to=OSL`)
        assert.deepEqual([quote.status, await quote.json()], [200, { id: 'Q5', to: 'OSL', tenant: null }])
        const ticks = await fetch(`${base}/shop/ticks?count=2`, { headers: { accept: 'text/event-stream' } })
        assert.equal(await bodyText(ticks).rest(), 'id: 1\ndata: tick 1\n\nid: 2\ndata: tick 2\n\n')
        const hidden = await fetch(`${base}/pricing/fail`)
        assert.equal(hidden.status, 404)
        await hidden.body?.cancel()

        const inFlight = fetch(`${base}/pricing/slow?ms=800`)
        await sleep(200)
        child.kill('SIGTERM')
        const answered = await inFlight
        assert.deepEqual([answered.status, await answered.json()], [200, { slept: 800 }], 'a request in flight at SIGTERM still gets its answer')
        assert.equal(await Promise.race([exited, sleep(15_000, 'still running', { ref: false })]), 0, `exits 0 after SIGTERM; stderr: ${err}`)
        assert.match(err, /SIGTERM, shutting down/)
        await assert.rejects(fetch(`${base}/pricing/quotes/Q5`), 'no longer listening')
      } finally {
        child.kill('SIGKILL')
      }
    })
  })
})
