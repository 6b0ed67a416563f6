// Importing kafka-ipc loads what a service uses, not what it might: Node's HTTP server and fetch
// stack (undici, about 3 MiB of a process's memory) come in only when the probe server starts or
// client.fetch() makes a Response — a responder's memory is one of the throughput issue's targets
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
