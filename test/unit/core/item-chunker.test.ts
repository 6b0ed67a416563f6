import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ItemChunker, maxItemsPerRecord } from '../../../src/core/item-chunker.ts'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'

/** A sender whose records are acknowledged only when the test says so. */
function manualSender(): { records: { items: unknown[]; firstSeq: number }[]; acknowledge(): void; send(items: readonly unknown[], firstSeq: number): Promise<void> } {
  const records: { items: unknown[]; firstSeq: number }[] = []
  const waiting: (() => void)[] = []
  return {
    records,
    acknowledge: () => waiting.shift()?.(),
    send(items, firstSeq) {
      records.push({ items: [...items], firstSeq })
      return new Promise((resolve) => waiting.push(resolve))
    },
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('ItemChunker', () => {
  it('sends the first item at once and gathers the items yielded while it is in flight into the next record', async () => {
    const sender = manualSender()
    const chunker = new ItemChunker((items, seq) => sender.send(items, seq))
    await chunker.add('a')
    await chunker.add('b')
    await chunker.add('c')
    assert.deepEqual(sender.records, [{ items: ['a'], firstSeq: 0 }], 'an idle stream pays no linger: item 0 goes alone')
    sender.acknowledge()
    await tick()
    assert.deepEqual(sender.records[1], { items: ['b', 'c'], firstSeq: 1 })
    const finishing = chunker.finish()
    sender.acknowledge()
    assert.equal(await finishing, 3, 'finish resolves with the number of items sent: the end marker seq')
  })

  it('holds the generator back once a full record waits behind the one in flight', async () => {
    const sender = manualSender()
    const chunker = new ItemChunker((items, seq) => sender.send(items, seq))
    await chunker.add(0)
    for (let i = 1; i < maxItemsPerRecord; i++) await chunker.add(i)
    let added = false
    const adding = chunker.add(maxItemsPerRecord).then(() => {
      added = true
    })
    await tick()
    assert.equal(added, false, 'no more than one full record waits in memory')
    sender.acknowledge()
    await adding
    assert.equal(sender.records[1]?.items.length, maxItemsPerRecord)
    assert.equal(sender.records[1].firstSeq, 1)
    sender.acknowledge()
    sender.acknowledge()
    assert.equal(await chunker.finish(), maxItemsPerRecord + 1)
  })

  it('splits a record the byte limit refuses, keeping seq numbers, and fails on a single item too large', async () => {
    const sent: { items: unknown[]; firstSeq: number }[] = []
    const tooLarge = new KafkaIpcError('KIPC_PAYLOAD_TOO_LARGE', 'too large')
    const chunker = new ItemChunker((items, firstSeq) => {
      if (items.length > 2 || items.includes('huge')) return Promise.reject(tooLarge)
      sent.push({ items: [...items], firstSeq })
      return Promise.resolve()
    })
    const gate = Promise.withResolvers<undefined>()
    // Hold the first record so the next five gather behind it.
    const held = new ItemChunker(async (items, firstSeq) => {
      if (firstSeq === 0) await gate.promise
      if (items.length > 2) throw tooLarge
      sent.push({ items: [...items], firstSeq })
    })
    for (const item of ['a', 'b', 'c', 'd', 'e', 'f']) await held.add(item)
    gate.resolve(undefined)
    assert.equal(await held.finish(), 6)
    assert.deepEqual(sent, [
      { items: ['a'], firstSeq: 0 },
      { items: ['b', 'c'], firstSeq: 1 },
      { items: ['d'], firstSeq: 3 },
      { items: ['e', 'f'], firstSeq: 4 },
    ])
    await chunker.add('huge')
    await assert.rejects(chunker.finish(), tooLarge)
    await assert.rejects(chunker.add('next'), tooLarge, 'a failed stream takes no more items')
  })

  it('drops waiting items when abandoned (a cancelled stream sends nothing more)', async () => {
    const sender = manualSender()
    const chunker = new ItemChunker((items, seq) => sender.send(items, seq))
    await chunker.add('a')
    await chunker.add('b')
    chunker.abandon()
    sender.acknowledge()
    await tick()
    assert.equal(sender.records.length, 1, 'item b was never sent')
    await assert.rejects(chunker.finish())
  })
})
