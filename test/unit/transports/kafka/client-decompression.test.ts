// The guard on kafka-ipc's one reach into @platformatic/kafka's internals (client-decompression.ts,
// docs/decisions/0011): if a client upgrade changes the decompressor tables, or stops reading a
// batch's record count just before inflating it, these tests fail — through the client's own
// batch writer and reader, as a fetch response is parsed.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { compressionsAlgorithms, compressionsAlgorithmsByBitmask, createRecordsBatch, type MessageRecord, readRecordsBatch, readRecordsBatches, Reader } from '@platformatic/kafka'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { asKafkaIpcClient, boundedDecompressionInstalled, installBoundedDecompression } from '../../../../src/transports/kafka/client-decompression.ts'
import { holdInflateLimit, inflateLimit, maxInflateRatio } from '../../../../src/transports/kafka/inflate-budget.ts'
import { maxStandIns, unreadBatchHeader, unreadBatchOf } from '../../../../src/transports/kafka/unread-batches.ts'

const limit = 64 * 1024
const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const

type Batch = ReturnType<typeof readRecordsBatch>

/** A batch as the client's producer writes it: `sizes` records of zeros, each with one header. */
function batchOf(codec: (typeof codecs)[number], sizes: readonly number[], header = 'x-trace'): Buffer {
  const messages: MessageRecord[] = sizes.map((size) => ({ topic: 't', value: Buffer.alloc(size), headers: new Map([[Buffer.from(header), Buffer.from('1')]]) }))
  return createRecordsBatch(messages, { compression: codec }).buffer
}

/** A batch read as a kafka-ipc consumer's fetch response is: inside kafka-ipc's async context. */
function read(bytes: Buffer): Batch {
  return asKafkaIpcClient(() => readRecordsBatch(Reader.from(bytes)))
}

/** The batches of a fetch response, read as a kafka-ipc consumer reads them. */
function readAll(bytes: Buffer): Batch[] {
  return asKafkaIpcClient(() => readRecordsBatches(Reader.from(bytes)))
}

function unreadOf(batch: Batch): ReturnType<typeof unreadBatchOf> {
  return unreadBatchOf(batch.records.at(-1)?.headers[0]?.[0])
}

describe('the bounded decompressors inside @platformatic/kafka', () => {
  before(() => {
    installBoundedDecompression()
    holdInflateLimit(limit)
  })

  it('finds the tables it relies on: one decompressor object per codec, shared by the by-bitmask table, replaceable', () => {
    assert.equal(boundedDecompressionInstalled(), true)
    assert.equal(inflateLimit(), limit)
    const byBitmask = compressionsAlgorithmsByBitmask as Record<string, unknown>
    for (const codec of codecs) {
      const algorithm = compressionsAlgorithms[codec]
      assert.equal(byBitmask[String(algorithm.bitmask)], algorithm, `${codec} is looked up by bitmask as the same object`)
      assert.equal(Object.isFrozen(algorithm), false)
    }
    assert.equal(typeof Reader.prototype.readInt32, 'function')
  })

  for (const codec of codecs) {
    it(`${codec}: a batch within the limit is read as before`, () => {
      const batch = read(batchOf(codec, [10, 20_000]))
      assert.deepEqual(batch.records.map((record) => record.value?.length), [10, 20_000])
      assert.equal(unreadOf(batch), undefined)
    })

    it(`${codec}: a batch past the limit is not inflated; the client reads one stand-in per record, and only the last at a real offset`, () => {
      const bytes = batchOf(codec, [10, 10, 4 * limit])
      const batch = read(bytes)
      assert.equal(batch.lastOffsetDelta, 2)
      assert.equal(batch.records.length, 3, 'as many records as the batch declares')
      const [first, second, last] = batch.records
      assert.ok(first !== undefined && second !== undefined && last !== undefined)
      // Below any fetch position: the consumer passes over them.
      assert.ok(first.offsetDelta < -(2 ** 29) && second.offsetDelta < -(2 ** 29), String([first.offsetDelta, second.offsetDelta]))
      assert.equal(last.offsetDelta, 2, 'the batch\'s last offset: committing past it passes the batch')
      assert.equal(last.value, null)
      const [name, text] = last.headers[0] ?? []
      assert.equal(name?.toString(), unreadBatchHeader)
      assert.match(String(text), new RegExp(`^${codec} batch of 3 record\\(s\\), \\d+ bytes compressed, inflates past ${String(limit)} bytes; not inflated$`))
      assert.deepEqual(unreadOf(batch), { codec, records: 3, compressedBytes: bytes.length - 61, limit, allowed: limit, reason: 'too-large' })
    })
  }

  it('reads a bomb between two ordinary batches of one fetch response without mixing up their records', () => {
    const response = Buffer.concat([batchOf('zstd', [5, 6]), batchOf('gzip', [1, 8 * limit, 1, 1]), batchOf('lz4', [7])])
    const batches = readAll(response)
    assert.deepEqual(
      batches.map((batch) => [batch.records.length, unreadOf(batch)?.records]),
      [
        [2, undefined],
        [4, 4],
        [1, undefined],
      ],
    )
    assert.deepEqual(batches[2]?.records.map((record) => record.value?.length), [7])
  })

  it('many small bombs in one fetch response: they inflate until a limit\'s worth is reached, the rest are held to 64 times their size; ordinary batches after them are read', () => {
    const bombs = Array.from({ length: 20 }, () => batchOf('zstd', [limit - 1000]))
    const batches = readAll(Buffer.concat([...bombs, batchOf('zstd', [5]), batchOf('lz4', [300])]))
    assert.deepEqual(
      batches.map((batch) => unreadOf(batch)?.reason ?? batch.records[0]?.value?.length),
      [limit - 1000, limit - 1000, ...Array.from({ length: 18 }, () => 'ratio'), 5, 300],
    )
    const third = batches[2]
    assert.ok(third !== undefined)
    const unread = unreadOf(third)
    assert.ok(unread !== undefined)
    assert.equal(unread.allowed, unread.compressedBytes * maxInflateRatio)
  })

  it('leaves every other client of the process as it was: a batch read outside kafka-ipc\'s clients inflates whole, with the client\'s own decompressors', () => {
    for (const codec of codecs) {
      const batch = readRecordsBatch(Reader.from(batchOf(codec, [10, 4 * limit])))
      assert.deepEqual(batch.records.map((record) => record.value?.length), [10, 4 * limit], codec)
      assert.equal(unreadOf(batch), undefined, codec)
    }
  })

  it('a record the broker sent is never taken for a stand-in, whatever header it carries', () => {
    const forged = read(batchOf('gzip', [3], unreadBatchHeader))
    assert.equal(forged.records[0]?.headers[0]?.[0]?.toString(), unreadBatchHeader)
    assert.equal(unreadOf(forged), undefined)
  })

  it('a batch declaring more records than its bytes can hold is not trusted with stand-ins: the fetch fails, typed and not retried', () => {
    const bytes = batchOf('zstd', [4 * limit])
    // The record count: the last field of the batch header (offset 57); the client does not check the CRC.
    const declared = maxStandIns(bytes.length - 61) + 1
    bytes.writeInt32BE(declared, 57)
    assert.throws(
      () => read(bytes),
      (error: unknown) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE') && (error as { canRetry?: unknown }).canRetry === false && error.details['records'] === declared,
    )
  })
})
