// Importing kafka-ipc loads what a service uses, not what it might: Node's HTTP server and fetch
// stack (undici, about 3 MiB of a process's memory) come in only when the probe server starts or
// client.fetch() makes a Response — and answering plain bodies never reads the lazy global
// `Response` that would load them — a responder's memory is one of the throughput issue's targets
// (docs/performance.md).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repo = join(import.meta.dirname, '..', '..', '..')

/** The internal Node modules that importing `entry` (after @platformatic/kafka) adds, in a fresh process. */
async function modulesLoadedBy(entry: string, then = ''): Promise<string[]> {
  const script = `
    await import('@platformatic/kafka')
    const before = new Set(process.moduleLoadList)
    const loaded = await import(${JSON.stringify(join(repo, entry))})
    ${then}
    console.log(JSON.stringify(process.moduleLoadList.filter((name) => !before.has(name))))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: repo })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[]
}

const heavy = /^NativeModule (internal\/deps\/undici\/undici|http|http2)$/

describe('what importing kafka-ipc loads', () => {
  it('neither node:http nor Node’s fetch stack with the main entry', async () => {
    const added = await modulesLoadedBy('src/index.ts')
    assert.deepEqual(added.filter((name) => heavy.test(name)), [])
  })

  it('loads them once the probe server starts, so the check above can see them', async () => {
    const added = await modulesLoadedBy('src/index.ts', `
      const probes = await loaded.serveHealth({ health: () => ({ status: 'ok', channels: [] }) }, { port: 0, host: '127.0.0.1', metrics: false })
      await probes.close()`)
    assert.ok(added.includes('NativeModule http'), 'node:http is loaded by serveHealth')
    assert.ok(added.includes('NativeModule internal/deps/undici/undici'), 'undici comes with node:http')
  })
})

/**
 * The internal Node modules that a service answering a typed route and handling an event — and a
 * client calling and emitting to it, on the memory transport — load once they are running, in a
 * fresh process. `reply` is the route handler's body, as source text.
 */
async function modulesLoadedByMessages(reply: string): Promise<string[]> {
  const script = `
    const { Client, Service, definePolicy, event, route } = await import(${JSON.stringify(join(repo, 'src/index.ts'))})
    const { MemoryBroker, memoryTransport } = await import(${JSON.stringify(join(repo, 'src/transports/memory/index.ts'))})
    const transport = memoryTransport(new MemoryBroker())
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined }
    const policy = definePolicy({ prefix: 'cost' })
    const echo = route('pricing', 'POST /quotes')
    const priced = event('pricing.priced')
    let handled = 0
    const service = new Service({ name: 'pricing', policy, transport, logger })
      .handle(echo, (request) => ${reply})
      .on(priced, () => { handled++ })
    await service.listen()
    const client = new Client({ name: 'shop', policy, transport, logger })
    await client.ready()
    const before = new Set(process.moduleLoadList)
    await client.call(echo, { body: { id: 'Q1' } })
    await client.emit(priced, { id: 'Q1' })
    while (handled === 0) await new Promise((resolve) => setImmediate(resolve))
    console.log(JSON.stringify(process.moduleLoadList.filter((name) => !before.has(name))))
    await client.close()
    await service.close()`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: repo })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[]
}

describe('what answering and handling messages loads', () => {
  it('no fetch stack for a route that answers with a plain body, or for an event', async () => {
    const added = await modulesLoadedByMessages('request.body')
    assert.deepEqual(added.filter((name) => heavy.test(name)), [])
  })

  it('the fetch stack once a handler answers with a Response, so the check above can see it', async () => {
    const added = await modulesLoadedByMessages('new Response(JSON.stringify(request.body), { headers: { "content-type": "application/json" } })')
    assert.ok(added.includes('NativeModule internal/deps/undici/undici'), 'undici comes with the Response')
  })
})
