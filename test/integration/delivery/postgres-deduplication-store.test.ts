// The PostgreSQL deduplication store against a real server the test starts: claims and leases,
// the window, replies kept byte for byte, one winner among racing claims, and typed errors.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { postgresDeduplicationStore } from '../../../src/stores/postgres-deduplication-store.ts'
import { startPostgres, type TestPostgres } from '../../support/postgres.ts'

describe('postgresDeduplicationStore', { timeout: 60_000 }, () => {
  let server: TestPostgres
  let pool: pg.Pool
  before(async () => {
    server = await startPostgres()
    pool = new pg.Pool({ connectionString: server.url, max: 10 })
  })
  after(async () => {
    await pool.end()
    await server.stop()
  })

  it('claims a key once, shows it running under its lease, then done with the reply as stored', async () => {
    const store = postgresDeduplicationStore({ pool })
    assert.deepEqual(await store.claim('a', 5_000), { state: 'claimed' })
    const running = await store.claim('a', 5_000)
    assert.ok(running.state === 'running' && running.until > Date.now() + 3_000, 'running, under a lease timed by the database clock')
    const value = new Uint8Array([0, 1, 2, 255])
    await store.finish('a', { headers: new Map([['kipc-kind', 'reply'], ['x-note', 'é']]), value })
    const done = await store.claim('a', 5_000)
    if (done.state !== 'done') assert.fail(`expected done, got ${done.state}`)
    assert.deepEqual(done.answer?.headers, new Map([['kipc-kind', 'reply'], ['x-note', 'é']]))
    assert.deepEqual([...done.answer.value], [0, 1, 2, 255])
  })

  it('keeps a renewed key, frees one when its lease runs out or it is released, and forgets a finished one after the window', async () => {
    const store = postgresDeduplicationStore({ pool, table: 'short_window', windowMs: 300 })
    await store.claim('renewed', 100)
    await store.renew('renewed', 5_000)
    await sleep(150)
    assert.equal((await store.claim('renewed', 100)).state, 'running', 'a renewed lease outlives its first one')
    await store.claim('crashed', 100)
    await sleep(150)
    assert.deepEqual(await store.claim('crashed', 100), { state: 'claimed' })
    await store.release('crashed')
    assert.deepEqual(await store.claim('crashed', 100), { state: 'claimed' })
    await store.finish('crashed', undefined)
    await store.release('crashed')
    assert.deepEqual(await store.claim('crashed', 100), { state: 'done', answer: undefined })
    await sleep(350)
    assert.deepEqual(await store.claim('crashed', 100), { state: 'claimed' })
  })

  it('gives one of many racing claims the key', async () => {
    const store = postgresDeduplicationStore({ pool, table: 'public.racing' })
    const claims = await Promise.all(Array.from({ length: 20 }, async () => store.claim('contested', 5_000)))
    assert.equal(claims.filter((claim) => claim.state === 'claimed').length, 1)
    assert.equal(claims.filter((claim) => claim.state === 'running').length, 19)
  })

  it('keeps a reply over maxAnswerBytes out', async () => {
    const store = postgresDeduplicationStore({ pool, maxAnswerBytes: 10 })
    await store.finish('big', { headers: new Map(), value: new Uint8Array(11) })
    assert.deepEqual(await store.claim('big', 100), { state: 'done', answer: undefined })
  })

  it('refuses a table name that is not an identifier, and answers KIPC_UNAVAILABLE when the database cannot be reached', async () => {
    assert.throws(() => postgresDeduplicationStore({ pool, table: 'x; DROP TABLE y' }), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
    assert.throws(() => postgresDeduplicationStore({ pool, windowMs: 0 }), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
    const nowhere = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:1/postgres`, connectionTimeoutMillis: 1_000 })
    try {
      await assert.rejects(async () => postgresDeduplicationStore({ pool: nowhere }).claim('k', 100), (error: unknown) => isKafkaIpcError(error, 'KIPC_UNAVAILABLE') && /could not create its table/.test(error.message))
    } finally {
      await nowhere.end()
    }
  })
})
