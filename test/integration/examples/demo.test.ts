// The README's first quick-start command must keep working: run the demo as a user would and
// check its transcript.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { useKafka } from '../../support/kafka.ts'

const brokers = useKafka()
const demo = fileURLToPath(new URL('../../../examples/demo.ts', import.meta.url))

describe('npm run demo', () => {
  it('round-trips records through Kafka and exits 0', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [demo], { env: { ...process.env, KAFKA_BROKERS: brokers().join(',') }, timeout: 120_000 }, (error, out, err) => {
        resolve({ code: error === null ? 0 : 1, stdout: out, stderr: err })
      })
    })
    assert.equal(code, 0, stderr)
    assert.match(stdout, /Produced 3 records/)
    assert.equal(stdout.match(/consumed partition \d+ offset \d+: B-/g)?.length, 3)
    assert.match(stdout, /Round trip of 3 records/)
  })
})
