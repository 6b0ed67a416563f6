// What a finished call leaves behind: nothing that outlives a young-generation collection. Under
// load a caller's calls, their promises and their answers must die young. At concurrency 256 a
// `Map` of waiting calls — whose every rehash leaves the old table pointing at the new one, with
// the entries it had — and closures that captured each answer in a context made on every call
// kept about 2 KB per call alive into the old generation once anything had paused the load, and
// the collector's helper threads then spent more CPU per call than kafka-ipc's own code
// (docs/performance.md). The control shows the check sees such promotion where it happens: a
// `Map` churned the same way. Each measure runs in a process of its own
// (test/support/young-generation-probe.ts): this runner's async hooks would promote its promises.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const probe = fileURLToPath(new URL('../../support/young-generation-probe.ts', import.meta.url))

/** Bytes per operation of `scenario` that outlived young collections, measured in a fresh process. */
async function bytesPerOperation(scenario: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', probe, scenario], { timeout: 120_000 })
  return (JSON.parse(stdout) as { bytesPerOperation: number }).bytesPerOperation
}

describe('a finished call leaves nothing that outlives a young collection', () => {
  it('calls at concurrency 256, after a pause, promote little of kafka-ipc', async () => {
    // Before: ~2,000 bytes per call. What is left (~350) is held by the memory broker's log: the
    // strings of the records it keeps, read or written by kafka-ipc.
    const bytes = await bytesPerOperation('calls')
    assert.ok(bytes < 700, `${bytes.toFixed(0)} bytes per call of kafka-ipc outlived young collections`)
  })

  it('calls answered by an asynchronous handler promote little of kafka-ipc either', async () => {
    // Before: ~860 bytes per call with the running handlers and the deduplication store's runs in Maps.
    const bytes = await bytesPerOperation('calls-async-handler')
    assert.ok(bytes < 700, `${bytes.toFixed(0)} bytes per call of kafka-ipc outlived young collections`)
  })

  it('keyed calls, each key handled in order, promote little of kafka-ipc either', async () => {
    // Before: ~490 bytes per call with each key's chain of handlings in a Map.
    const bytes = await bytesPerOperation('keyed-calls-async-handler')
    assert.ok(bytes < 700, `${bytes.toFixed(0)} bytes per call of kafka-ipc outlived young collections`)
  })

  it('control: a Map churned as waiting calls churn it promotes what its entries held', async () => {
    const bytes = await bytesPerOperation('map-churn')
    assert.ok(bytes > 100, `${bytes.toFixed(0)} bytes per entry outlived young collections`)
  })

  it('an IdTable churned that way promotes nothing of it', async () => {
    const bytes = await bytesPerOperation('id-table-churn')
    assert.ok(bytes < 30, `${bytes.toFixed(0)} bytes per entry outlived young collections`)
  })
})
