// An unsupported Node.js gets one line naming both versions, from the library and from the CLI.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { unsupportedNode } from '../../../src/supported-node.ts'

const run = promisify(execFile)
const repo = join(import.meta.dirname, '..', '..', '..')
// The machine's own Node (20 here) when it is older than kafka-ipc supports; the built package is needed too.
const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path))
const skipOld = oldNode === undefined || !existsSync(join(repo, 'dist', 'index.js')) ? 'no older system Node or no dist/' : false

describe('the supported Node.js version', () => {
  it('accepts 22.22 and later, refuses older with both versions named', () => {
    for (const version of ['22.22.0', '22.30.1', '24.0.0', '25.1.0']) assert.equal(unsupportedNode(version), undefined, version)
    for (const version of ['20.20.2', '22.21.9', '18.0.0']) assert.match(unsupportedNode(version) ?? '', new RegExp(`needs Node.js 22.22 or newer .*this is Node.js ${version.replaceAll('.', '\\.')}`))
  })

  it('an old Node fails on import and in the CLI with that one line', { skip: skipOld }, async (t) => {
    const version = (await run(oldNode ?? '', ['--version'])).stdout.trim().slice(1)
    if (unsupportedNode(version) === undefined) {
      t.skip(`the system Node ${version} is supported`)
      return
    }
    for (const entry of ['index.js', 'transports/memory/index.js', 'local-kafka/index.js']) {
      const result = await run(oldNode ?? '', ['--input-type=module', '-e', `await import(${JSON.stringify(join(repo, 'dist', entry))})`]).catch((error: unknown) => error as { stderr: string; code: number })
      assert.ok('code' in result && result.code === 1, `${entry} refuses to load`)
      assert.match(result.stderr, /kafka-ipc needs Node\.js 22\.22 or newer/)
      assert.doesNotMatch(result.stderr, /withResolvers|ERR_/, 'no error from deeper inside')
    }
    const cli = await run(oldNode ?? '', [join(repo, 'dist', 'cli', 'bin.js'), 'kafka', 'status']).catch((error: unknown) => error as { stderr: string; code: number })
    assert.ok('code' in cli && cli.code === 1)
    assert.equal(cli.stderr.trim().split('\n').length, 1, 'one line')
  })
})
