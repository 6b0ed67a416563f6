import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compressionsAlgorithms } from '@platformatic/kafka'
import { type BatchCodec, InflateRefused, inflateWithin, lz4Bound, snappySize } from '../../../../src/transports/kafka/bounded-inflate.ts'

const KiB = 1024
const MiB = 1024 * KiB

/** The client's own compressors, as a producer would use them. */
function compress(codec: BatchCodec, data: Buffer): Buffer {
  return compressionsAlgorithms[codec].compressSync(data)
}

/** A decoder that must not run: snappy and LZ4 over the limit are refused before decoding. */
function neverDecode(): Buffer {
  throw new Error('decoded a batch that should have been refused')
}

/** The client's own decoder, counting its runs. */
function countingDecode(codec: BatchCodec): { decode: (data: Buffer) => Buffer; runs: () => number } {
  let runs = 0
  return {
    decode: (data) => {
      runs++
      return compressionsAlgorithms[codec].decompressSync(data)
    },
    runs: () => runs,
  }
}

function refusal(codec: BatchCodec, limit: number, reason: InflateRefused['reason']): (error: unknown) => boolean {
  return (error) => error instanceof InflateRefused && error.codec === codec && error.limit === limit && error.reason === reason
}

/** snappy-java's framing: magic, version 1, compatible version 1, then each chunk as a 4-byte length and a raw snappy block. */
function xerial(chunks: readonly Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
  return Buffer.concat([header, ...chunks.flatMap((chunk) => [Buffer.from([chunk.length >>> 24, (chunk.length >>> 16) & 0xff, (chunk.length >>> 8) & 0xff, chunk.length & 0xff]), chunk])])
}

describe('inflateWithin', () => {
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`${codec}: inflates a batch up to the limit itself, and refuses one byte more`, () => {
      const data = Buffer.alloc(100 * KiB, 7)
      const compressed = compress(codec, data)
      const { decode } = countingDecode(codec)
      // LZ4 is judged by its blocks' sizes, an upper bound: it needs the room of a whole block.
      const limit = codec === 'lz4' ? (lz4Bound(compressed) ?? 0) : data.length
      assert.ok(limit >= data.length)
      assert.deepEqual(inflateWithin(codec, compressed, limit, decode), data)
      assert.throws(() => inflateWithin(codec, compressed, limit - 1, neverDecode), refusal(codec, limit - 1, 'too-large'))
    })
  }

  for (const codec of ['gzip', 'lz4', 'zstd'] as const) {
    it(`${codec}: refuses a 64 MiB bomb at a 1 MiB limit (zlib stops at the limit; LZ4 is never decoded)`, () => {
      const bomb = compress(codec, Buffer.alloc(64 * MiB))
      assert.throws(() => inflateWithin(codec, bomb, MiB, neverDecode), refusal(codec, MiB, 'too-large'))
    })
  }

  it('snappy: a 16 MiB bomb is refused by its stated length, before the decoder runs', () => {
    const bomb = compress('snappy', Buffer.alloc(16 * MiB))
    assert.equal(snappySize(bomb), 16 * MiB)
    assert.throws(() => inflateWithin('snappy', bomb, MiB, neverDecode), refusal('snappy', MiB, 'too-large'))
  })

  it('a corrupt gzip or zstd batch fails as the client would fail, not as refused', () => {
    for (const codec of ['gzip', 'zstd'] as const) {
      assert.throws(() => inflateWithin(codec, Buffer.from('not compressed at all'), MiB, neverDecode), (error) => !(error instanceof InflateRefused))
    }
  })

  it('lz4: a frame whose bound passes the limit but not the ceiling is decoded, then judged by what it inflated to', () => {
    const small = compress('lz4', Buffer.alloc(1000, 5))
    const bound = lz4Bound(small) ?? 0
    assert.ok(bound > 2000, String(bound))
    assert.equal(inflateWithin('lz4', small, 1000, countingDecode('lz4').decode, bound).length, 1000)
    assert.throws(() => inflateWithin('lz4', small, 999, countingDecode('lz4').decode, bound), refusal('lz4', 999, 'too-large'))
    assert.throws(() => inflateWithin('lz4', small, 999, neverDecode, bound - 1), refusal('lz4', 999, 'too-large'))
  })

  it('snappy and lz4 whose framing cannot be measured are refused as unmeasurable, never decoded', () => {
    assert.throws(() => inflateWithin('snappy', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), MiB, neverDecode), refusal('snappy', MiB, 'unmeasurable'))
    assert.throws(() => inflateWithin('lz4', Buffer.from('not an lz4 frame'), MiB, neverDecode), refusal('lz4', MiB, 'unmeasurable'))
  })
})

describe('snappySize', () => {
  it('reads the length a raw block states, and sums the chunks of xerial framing', () => {
    const one = compress('snappy', Buffer.alloc(300 * KiB, 1))
    const two = compress('snappy', Buffer.alloc(5, 2))
    assert.equal(snappySize(one), 300 * KiB)
    assert.equal(snappySize(xerial([one, two])), 300 * KiB + 5)
    // The client decodes xerial framing too: the sum is what it would produce.
    assert.equal(compressionsAlgorithms.snappy.decompressSync(xerial([one, two])).length, 300 * KiB + 5)
  })

  it('tells broken framing: a chunk longer than the data, a length without its end', () => {
    const one = compress('snappy', Buffer.alloc(1000, 1))
    assert.equal(snappySize(xerial([one]).subarray(0, 30)), undefined)
    assert.equal(snappySize(Buffer.from([0x80, 0x80])), undefined)
  })
})

describe('lz4Bound', () => {
  it('bounds a frame by its block headers: never below what it inflates to, at most a block above', () => {
    for (const size of [0, 1, 64 * KiB, 5 * MiB + 3]) {
      const data = Buffer.alloc(size, 3)
      const bound = lz4Bound(compress('lz4', data))
      assert.ok(bound !== undefined && bound >= size && bound <= size + 4 * MiB, `${String(size)} bytes: bound ${String(bound)}`)
    }
  })

  it('counts a stored block as its bytes and a compressed one as at most 255 times its bytes; passes over skippable frames', () => {
    // Magic, FLG (version 1, independent blocks, block checksums), BD (64 KiB blocks), header checksum.
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x70, 0x40, 0x00])
    const stored = Buffer.concat([Buffer.from([10, 0, 0, 0x80]), Buffer.alloc(10), Buffer.alloc(4)])
    const compressed = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.alloc(2), Buffer.alloc(4)])
    const end = Buffer.alloc(4)
    const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0]), Buffer.alloc(3)])
    assert.equal(lz4Bound(Buffer.concat([skippable, header, stored, compressed, end])), 10 + 2 * 255)
  })

  it('tells what is not LZ4 framing: another magic, a truncated block, a reserved block size', () => {
    const frame = compress('lz4', Buffer.alloc(1000, 1))
    assert.equal(lz4Bound(Buffer.from('plain text, no frame')), undefined)
    assert.equal(lz4Bound(frame.subarray(0, frame.length - 3)), undefined)
    const reserved = Buffer.from(frame)
    reserved[5] = 0x30
    assert.equal(lz4Bound(reserved), undefined)
  })

  it('stops counting once past the limit it is given', () => {
    const bound = lz4Bound(compress('lz4', Buffer.alloc(64 * MiB)), MiB)
    assert.ok(bound !== undefined && bound > MiB && bound <= 5 * MiB, String(bound))
  })
})
