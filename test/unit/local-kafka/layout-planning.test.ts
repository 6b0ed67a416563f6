// A data folder keeps the shape it was made with: same node count, same ports; a request for
// another shape fails naming the folder, instead of silently starting something else.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { readLayout, readRunning, writeLayout } from '../../../src/local-kafka/cluster-files.ts'
import { bootstrapOf, newClusterId } from '../../../src/local-kafka/cluster-layout.ts'
import { resolveLayout } from '../../../src/local-kafka/layout-planning.ts'

async function withFolder(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kipc-layout-'))
  try {
    await run(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('cluster layout of a data folder', () => {
  it('a new folder gets consecutive broker ports from the one asked for, or free ports', () =>
    withFolder(async (dir) => {
      const fixed = await resolveLayout(dir, 3, 40_000, '4.2.1')
      assert.deepEqual(fixed.nodes.map((node) => [node.id, node.brokerPort]), [
        [1, 40_000],
        [2, 40_001],
        [3, 40_002],
      ])
      assert.equal(bootstrapOf(fixed), '127.0.0.1:40000,127.0.0.1:40001,127.0.0.1:40002')
      const free = await resolveLayout(dir, 2, undefined, '4.2.1')
      const ports = free.nodes.flatMap((node) => [node.brokerPort, node.controllerPort])
      assert.equal(new Set(ports).size, 4, 'four distinct ports')
    }))

  it('a saved folder is reused as it is, with a newer Kafka version, and refuses another node count or port', () =>
    withFolder(async (dir) => {
      const saved = { clusterId: newClusterId(), kafkaVersion: '4.1.0', host: '127.0.0.1', nodes: [{ id: 1, brokerPort: 41_000, controllerPort: 41_500 }] }
      await writeLayout(dir, saved)
      assert.deepEqual(await resolveLayout(dir, 1, undefined, '4.2.1'), { ...saved, kafkaVersion: '4.2.1' })
      assert.deepEqual(await resolveLayout(dir, 1, 41_000, '4.2.1'), { ...saved, kafkaVersion: '4.2.1' })
      await assert.rejects(resolveLayout(dir, 3, undefined, '4.2.1'), (error: unknown) => isKafkaIpcError(error, 'KIPC_LOCAL_KAFKA_CONFLICT') && /holds a 1-node cluster but 3 node\(s\)/.test(error.message))
      await assert.rejects(resolveLayout(dir, 1, 42_000, '4.2.1'), (error: unknown) => isKafkaIpcError(error, 'KIPC_LOCAL_KAFKA_CONFLICT') && /on port 41000 but port 42000/.test(error.message))
    }))

  it('a hand-edited layout or running file fails clearly; pids that are not numbers are ignored', () =>
    withFolder(async (dir) => {
      await writeFile(join(dir, 'layout.json'), JSON.stringify({ clusterId: 'x', nodes: [{ id: 'one' }] }))
      await assert.rejects(readLayout(dir), (error: unknown) => isKafkaIpcError(error, 'KIPC_LOCAL_KAFKA_CONFLICT') && /is not a kafka-ipc cluster layout/.test(error.message))
      await writeFile(join(dir, 'running.json'), JSON.stringify({ pids: { 1: 'not a pid', 2: 4242 }, startedAt: 'then' }))
      assert.deepEqual(await readRunning(dir), { pids: { 2: 4242 }, startedAt: 'then' })
      await writeFile(join(dir, 'running.json'), '{oops')
      await assert.rejects(readRunning(dir), /running\.json is not valid JSON; delete the data folder or pick another --data/)
    }))

  it('cluster ids are 22 base64url characters and never start with a dash', () => {
    for (let index = 0; index < 500; index++) assert.match(newClusterId(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
  })
})
