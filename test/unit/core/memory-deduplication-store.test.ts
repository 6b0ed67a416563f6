import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { memoryDeduplicationStore } from '../../../src/core/memory-deduplication-store.ts'

const answer = (bytes: number): { headers: [string, string][]; value: Uint8Array } => ({ headers: [['kipc-kind', 'reply']], value: new Uint8Array(bytes) })

describe('memoryDeduplicationStore', () => {
  it('claims a new key, reports it running while leased, and done with its answer once finished', async () => {
    let now = 1_000
    const store = memoryDeduplicationStore({}, () => now)
    assert.deepEqual(await store.claim('k', 500), { state: 'claimed' })
    assert.deepEqual(await store.claim('k', 500), { state: 'running', until: 1_500 })
    await store.finish('k', answer(3))
    now += 10
    const done = await store.claim('k', 500)
    if (done.state !== 'done') assert.fail(`expected done, got ${done.state}`)
    assert.equal(done.answer?.value.byteLength, 3)
  })

  it('lets the next delivery claim a key whose lease ran out or that was released', async () => {
    let now = 0
    const store = memoryDeduplicationStore({}, () => now)
    await store.claim('crashed', 100)
    now = 100
    assert.deepEqual(await store.claim('crashed', 100), { state: 'claimed' })
    await store.claim('failed', 100)
    await store.release('failed')
    assert.deepEqual(await store.claim('failed', 100), { state: 'claimed' })
  })

  it('forgets a finished run after its window, and release never forgets a finished one', async () => {
    let now = 0
    const store = memoryDeduplicationStore({ windowMs: 1_000 }, () => now)
    await store.claim('k', 100)
    await store.finish('k', undefined)
    await store.release('k')
    now = 999
    assert.equal((await store.claim('k', 100)).state, 'done')
    now = 1_000
    assert.equal((await store.claim('k', 100)).state, 'claimed')
  })

  it('keeps a reply over maxAnswerBytes out, remembering the run without it', async () => {
    const store = memoryDeduplicationStore({ maxAnswerBytes: 100 })
    await store.claim('big', 100)
    await store.finish('big', answer(200))
    assert.deepEqual(await store.claim('big', 100), { state: 'done', answer: undefined })
  })

  it('drops the oldest keys beyond maxEntries and the oldest replies beyond maxBytes', async () => {
    const store = memoryDeduplicationStore({ maxEntries: 2, maxBytes: 1_000 })
    for (const key of ['a', 'b', 'c']) {
      await store.claim(key, 60_000)
      await store.finish(key, undefined)
    }
    assert.equal((await store.claim('a', 100)).state, 'claimed', 'a, the oldest, was dropped')
    assert.equal((await store.claim('c', 100)).state, 'done')
    const bytes = memoryDeduplicationStore({ maxBytes: 1_000 })
    await bytes.finish('x', answer(600))
    await bytes.finish('y', answer(600))
    assert.equal((await bytes.claim('x', 100)).state, 'claimed', 'x made room for y')
    assert.equal((await bytes.claim('y', 100)).state, 'done')
  })

  it('refuses bounds that are not positive integers', () => {
    for (const bad of [{ windowMs: 0 }, { maxEntries: -1 }, { maxBytes: 1.5 }]) {
      assert.throws(() => memoryDeduplicationStore(bad), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
    }
  })
})
