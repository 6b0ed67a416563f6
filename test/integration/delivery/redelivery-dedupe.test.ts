// Forced redelivery: a service process runs a request and an event, sends the reply, and is
// SIGKILLed before either offset is committed — so the next instance gets both records again.
// With a PostgreSQL deduplication store shared by the instances, neither runs a second time, and
// the caller's retry under the same id gets the first reply back. Without one, both run twice:
// the at-least-once that the store is there to take out.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Client } from '../../../src/core/client.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { postgresDeduplicationStore } from '../../../src/stores/postgres-deduplication-store.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { waitUntil } from '../../conformance/request-reply.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'
import { spawnWithLines } from '../../support/child-lines.ts'
import { startPostgres, type TestPostgres } from '../../support/postgres.ts'
import { charge, paid } from './charge-contracts.ts'

const brokers = useKafka()
const child = fileURLToPath(new URL('dedupe-child.ts', import.meta.url))

describe('records redelivered after a crash before their commit', { timeout: 180_000, concurrency: true }, () => {
  let postgres: TestPostgres
  before(async () => {
    postgres = await startPostgres()
  })
  after(async () => {
    await postgres.stop()
  })

  it('run once with a PostgreSQL store, and a retry under the same id gets the first reply', async () => {
    await redeliver(postgres.url)
  })

  it('run twice without a store every instance shares', async () => {
    await redeliver(undefined)
  })
})

async function redeliver(url: string | undefined): Promise<void> {
  const prefix = uniqueName('redeliver')
  const policy = definePolicy({ prefix, partitions: 1 })
  const { process: doomed, lines: output, exited } = spawnWithLines(child, { KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: prefix, ...(url === undefined ? {} : { DEDUPE_URL: url }) })
  const pool = url === undefined ? undefined : new pg.Pool({ connectionString: url })
  const caller = new Client({ name: 'checkout', policy, transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
  let successor: Service | undefined
  try {
    await waitUntil(() => output.includes('listening'), 'the child service listens', 60_000)
    const id = `order-o1-${randomUUID()}`
    // A deadline past the dead member's session timeout: the redelivered request is still wanted.
    const first = await caller.call(charge, { params: { order: 'o1' }, id, timeout: 60_000 })
    await caller.emit(paid, { order: 'o1' })
    await exited
    assert.ok(output.includes('ran request o1') && output.includes('ran event o1'), 'the doomed instance ran both before it died')

    let requestRuns = 0
    let eventRuns = 0
    successor = new Service({ name: 'billing', policy, transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true, instanceId: 'successor', ...(pool === undefined ? {} : { deduplication: postgresDeduplicationStore({ pool }) }) })
    successor.handle(charge, () => {
      requestRuns++
      return { charge: randomUUID() }
    })
    successor.on(paid, () => {
      eventRuns++
    })
    await successor.listen()
    const app = successor
    // The dead member holds the partitions until its session times out.
    if (pool === undefined) {
      await waitUntil(() => requestRuns === 1 && eventRuns === 1, 'the successor ran both records again', 60_000)
      assert.equal(app.stats().duplicates, 0)
      return
    }
    await waitUntil(() => app.stats().duplicates === 2, 'the successor recognised both records as runs already done', 60_000)
    assert.equal(requestRuns, 0, 'the request did not run again')
    assert.equal(eventRuns, 0, 'the event did not run again')
    const again = await caller.call(charge, { params: { order: 'o1' }, id })
    assert.deepEqual(again, first, 'the retry got the first reply, charge id and all')
    assert.equal(requestRuns, 0)
    const { rows } = await pool.query<{ state: string }>('SELECT state FROM kafka_ipc_deduplication WHERE key LIKE $1', [`${prefix}%`])
    assert.deepEqual(rows.map((row) => row.state), ['done', 'done'])
  } finally {
    doomed.kill('SIGKILL')
    await successor?.close()
    await caller.close()
    await pool?.end()
  }
}
