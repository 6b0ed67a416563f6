import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { main } from '../../../src/cli/main.ts'

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('kafka-ipc CLI', () => {
  it('prints help and its version', async () => {
    assert.match((await run('--help')).out, /kafka start\|status\|stop/)
    assert.match((await run('--version')).out, /^\d+\.\d+\.\d+$/)
    assert.match((await run('kafka', '--help')).out, /--nodes N/)
  })

  it('rejects unknown commands, options and malformed numbers with exit code 2 and an error code', async () => {
    const unknown = await run('frobnicate')
    assert.equal(unknown.code, 2)
    assert.match(unknown.err, /Unknown command "frobnicate"/)
    const badOption = await run('kafka', 'start', '--bogus')
    assert.equal(badOption.code, 2)
    assert.match(badOption.err, /KIPC_INVALID_ARGUMENT/)
    const badNumber = await run('kafka', 'start', '--nodes', 'three')
    assert.equal(badNumber.code, 2)
    assert.match(badNumber.err, /--nodes takes a whole number, got "three"/)
    const badSub = await run('kafka', 'restart')
    assert.equal(badSub.code, 2)
    assert.match(badSub.err, /Commands: start, status, stop/)
  })

  it('reports exit code 3 for status and succeeds for stop when nothing runs', async () => {
    const data = await mkdtemp(join(tmpdir(), 'kafka-ipc-cli-'))
    const status = await run('kafka', 'status', '--data', data)
    assert.equal(status.code, 3)
    assert.match(status.out, new RegExp(`No local Kafka is running from ${data.replaceAll('/', '\\/')} \\(--data DIR looks in another folder\\)`))
    const json = await run('kafka', 'status', '--data', data, '--json')
    assert.deepEqual(JSON.parse(json.out), { running: false, dataDir: data })
    assert.equal((await run('kafka', 'stop', '--data', data)).code, 0)
    await rm(data, { recursive: true })
  })
})
