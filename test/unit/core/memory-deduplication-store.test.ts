import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import type { StoredAnswer } from '../../../src/core/deduplication-store.ts'
import { memoryDeduplicationStore } from '../../../src/core/memory-deduplication-store.ts'

const answer = (bytes: number): StoredAnswer => ({ headers: new Map([['kipc-kind', 'reply']]), value: new Uint8Array(bytes) })

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


  it('keeps every run of many in progress at once apart: each renewed, finished, released or run out on its own', async () => {
    let now = 0
    const store = memoryDeduplicationStore({}, () => now)
    // Claimed in turn: the newest claim and the older ones are kept in different places.
    for (const key of ['a', 'b', 'c', 'd']) assert.deepEqual(await store.claim(key, 100), { state: 'claimed' })
    for (const key of ['a', 'b', 'c', 'd']) assert.deepEqual(await store.claim(key, 100), { state: 'running', until: 100 })
    now = 50
    await store.renew('a', 100)
    await store.renew('d', 100)
    await store.finish('b', undefined)
    await store.release('d')
    now = 120
    assert.deepEqual(await store.claim('a', 100), { state: 'running', until: 150 })
    assert.deepEqual(await store.claim('b', 100), { state: 'done', answer: undefined })
    // c ran out at 100 and d was released: both are claimed afresh, then held again.
    assert.deepEqual(await store.claim('c', 100), { state: 'claimed' })
    assert.deepEqual(await store.claim('d', 100), { state: 'claimed' })
    assert.deepEqual(await store.claim('c', 100), { state: 'running', until: 220 })
    assert.deepEqual(await store.claim('d', 100), { state: 'running', until: 220 })
    // A newest claim released, and one finished, leave the older ones held.
    await store.release('d')
    await store.finish('c', undefined)
    assert.deepEqual(await store.claim('a', 100), { state: 'running', until: 150 })
    now = 150
    assert.deepEqual(await store.claim('a', 100), { state: 'claimed' })
    await store.finish('a', undefined)
    for (const key of ['a', 'b', 'c']) assert.equal((await store.claim(key, 100)).state, 'done')
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

  it('drops the oldest runs beyond maxEntries, and the oldest replies beyond maxBytes while remembering their runs', async () => {
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
    assert.deepEqual(await bytes.claim('x', 100), { state: 'done', answer: undefined }, 'y overwrote x\'s reply')
    const y = await bytes.claim('y', 100)
    assert.equal(y.state === 'done' ? y.answer?.value.byteLength : -1, 600)
  })

  it('gives back each kept reply byte for byte, across the end of its ring and with non-ASCII headers', async () => {
    const store = memoryDeduplicationStore({ maxBytes: 4_096 })
    const kept = (n: number): StoredAnswer => ({ headers: new Map([['kipc-kind', 'reply'], ['x-note', `n°${String(n)} ✓`]]), value: Uint8Array.from({ length: 300 + n }, (_, i) => (i * 7 + n) % 256) })
    for (let n = 0; n < 40; n++) {
      await store.claim(`k${String(n)}`, 100)
      await store.finish(`k${String(n)}`, kept(n))
      // The newest replies are always readable, even those written across the ring's end.
      assert.deepEqual(await store.claim(`k${String(n)}`, 100), { state: 'done', answer: kept(n) })
    }
  })

  it('overwrites no kept reply with one it keeps out, and keeps one whose non-ASCII headers only might have been too large', async () => {
    // Two replies of 400 bytes and more fill most of a ring of 1,000: the next one is written over the first.
    const store = memoryDeduplicationStore({ maxBytes: 1_000, maxAnswerBytes: 450 })
    const sized = (bytes: number, note = 'plain'): StoredAnswer => ({ headers: new Map([['x-note', note]]), value: Uint8Array.from({ length: bytes }, (_, i) => i % 251) })
    await store.finish('first', sized(380))
    await store.finish('second', sized(380))
    await store.finish('too-big', sized(500))
    assert.deepEqual(await store.claim('too-big', 100), { state: 'done', answer: undefined })
    assert.deepEqual(await store.claim('first', 100), { state: 'done', answer: sized(380) }, 'the reply kept out overwrote nothing')
    // Twenty-five two-byte characters: at three bytes each the reply might take over 450 bytes; at two it takes 422.
    const accented = sized(350, 'é'.repeat(25))
    await store.finish('accented', accented)
    assert.deepEqual(await store.claim('accented', 100), { state: 'done', answer: accented })
    assert.deepEqual(await store.claim('second', 100), { state: 'done', answer: sized(380) })
  })

  it('re-finishing a run forgotten after its window keeps one entry with the newest reply', async () => {
    let now = 0
    const store = memoryDeduplicationStore({ windowMs: 1_000 }, () => now)
    await store.finish('k', answer(1))
    now = 2_000
    assert.equal((await store.claim('k', 100)).state, 'claimed')
    await store.finish('k', answer(2))
    const again = await store.claim('k', 100)
    assert.equal(again.state === 'done' ? again.answer?.value.byteLength : -1, 2)
  })

  it('refuses bounds that are not positive integers', () => {
    for (const bad of [{ windowMs: 0 }, { maxEntries: -1 }, { maxBytes: 1.5 }]) {
      assert.throws(() => memoryDeduplicationStore(bad), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
    }
  })
})
