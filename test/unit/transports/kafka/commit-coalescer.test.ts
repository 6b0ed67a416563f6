import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CommitCoalescer, type FinishedOffset } from '../../../../src/transports/kafka/commit-coalescer.ts'

function unexpected(error: unknown): never {
  throw new Error('no commit should fail here', { cause: error })
}

describe('CommitCoalescer', () => {
  it('commits the latest finished offset of each partition once per flush', async () => {
    const commits: FinishedOffset[][] = []
    const coalescer = new CommitCoalescer(60_000, () => true, (offsets) => {
      commits.push([...offsets])
      return Promise.resolve()
    }, unexpected)
    for (let offset = 0n; offset < 5n; offset++) coalescer.add({ topic: 't', partition: 0, offset })
    coalescer.add({ topic: 't', partition: 1, offset: 7n })
    await coalescer.flush()
    assert.deepEqual(commits, [[{ topic: 't', partition: 0, offset: 4n }, { topic: 't', partition: 1, offset: 7n }]])
    await coalescer.flush()
    assert.equal(commits.length, 1, 'nothing pending, nothing sent')
  })

  it('commits on its own after the interval', async () => {
    const { promise, resolve } = Promise.withResolvers<readonly FinishedOffset[]>()
    const coalescer = new CommitCoalescer(20, () => true, (offsets) => {
      resolve(offsets)
      return Promise.resolve()
    }, unexpected)
    coalescer.add({ topic: 't', partition: 0, offset: 3n })
    assert.deepEqual(await promise, [{ topic: 't', partition: 0, offset: 3n }])
  })

  it('skips partitions it no longer owns', async () => {
    const commits: FinishedOffset[][] = []
    const coalescer = new CommitCoalescer(60_000, (_topic, partition) => partition === 0, (offsets) => {
      commits.push([...offsets])
      return Promise.resolve()
    }, unexpected)
    coalescer.add({ topic: 't', partition: 0, offset: 1n })
    coalescer.add({ topic: 't', partition: 1, offset: 1n })
    await coalescer.flush()
    assert.deepEqual(commits, [[{ topic: 't', partition: 0, offset: 1n }]])
  })

  it('keeps a failed commit for the next flush unless a newer offset arrived meanwhile', async () => {
    const attempts: FinishedOffset[][] = []
    const errors: unknown[] = []
    let fail = true
    const coalescer = new CommitCoalescer(60_000, () => true, (offsets) => {
      attempts.push([...offsets])
      if (fail) {
        // A newer offset of partition 1 comes in while the failing commit is in flight.
        coalescer.add({ topic: 't', partition: 1, offset: 9n })
        return Promise.reject(new Error('coordinator moved'))
      }
      return Promise.resolve()
    }, (error) => errors.push(error))
    coalescer.add({ topic: 't', partition: 0, offset: 2n })
    coalescer.add({ topic: 't', partition: 1, offset: 5n })
    await coalescer.flush()
    assert.equal(errors.length, 1)
    assert.equal(coalescer.pending, 2)
    fail = false
    await coalescer.flush()
    // In any order: one offset per partition.
    assert.deepEqual(
      [...(attempts[1] ?? [])].sort((a, b) => a.partition - b.partition),
      [
        { topic: 't', partition: 0, offset: 2n },
        { topic: 't', partition: 1, offset: 9n },
      ],
    )
    assert.equal(coalescer.pending, 0)
  })

  it('keeps one commit in flight: a flush asked meanwhile goes after it, with what came in since', async () => {
    const sent: FinishedOffset[][] = []
    const first = Promise.withResolvers<undefined>()
    const coalescer = new CommitCoalescer(60_000, () => true, (offsets) => {
      sent.push([...offsets])
      return sent.length === 1 ? first.promise : Promise.resolve()
    }, unexpected)
    coalescer.add({ topic: 't', partition: 0, offset: 1n })
    const flushing = coalescer.flush()
    coalescer.add({ topic: 't', partition: 0, offset: 2n })
    const next = coalescer.flush()
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(sent.length, 1, 'the second commit waits for the first')
    first.resolve(undefined)
    await Promise.all([flushing, next])
    assert.deepEqual(sent, [[{ topic: 't', partition: 0, offset: 1n }], [{ topic: 't', partition: 0, offset: 2n }]])
  })

  it('holds the interval flush while mayCommit says no, and commits once it says yes', async () => {
    let may = false
    const { promise, resolve } = Promise.withResolvers<readonly FinishedOffset[]>()
    let asked = 0
    const coalescer = new CommitCoalescer(
      10,
      () => true,
      (offsets) => {
        resolve(offsets)
        return Promise.resolve()
      },
      unexpected,
      () => {
        asked++
        return may
      },
    )
    coalescer.add({ topic: 't', partition: 3, offset: 8n })
    while (asked < 3) await new Promise((wake) => setTimeout(wake, 5))
    assert.equal(coalescer.pending, 1, 'kept while the gate is shut')
    may = true
    assert.deepEqual(await promise, [{ topic: 't', partition: 3, offset: 8n }])
    assert.equal(coalescer.pending, 0)
  })
})
