import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'

/** The codecs a Kafka record batch may be compressed with. */
export type BatchCodec = 'gzip' | 'snappy' | 'lz4' | 'zstd'

/**
 * Why {@link inflateWithin} did not inflate a batch: it would have grown past `limit` bytes, or its
 * size could not be told without inflating it (framing this reader does not know).
 */
export class InflateRefused extends Error {
  override readonly name = 'InflateRefused'
  readonly codec: BatchCodec
  readonly limit: number
  readonly compressedBytes: number
  readonly reason: 'too-large' | 'unmeasurable'

  constructor(codec: BatchCodec, limit: number, compressedBytes: number, reason: 'too-large' | 'unmeasurable') {
    super(reason === 'too-large' ? `a ${codec} record batch of ${String(compressedBytes)} bytes inflates past ${String(limit)} bytes` : `the inflated size of a ${codec} record batch of ${String(compressedBytes)} bytes cannot be told before inflating it`)
    this.codec = codec
    this.limit = limit
    this.compressedBytes = compressedBytes
    this.reason = reason
  }
}

/**
 * Inflates a compressed record batch to at most `limit` bytes, or throws {@link InflateRefused}
 * without having held more than about `ceiling` bytes (the limit, unless given). zlib stops gzip
 * and zstd at the limit (`maxOutputLength`). Snappy and LZ4 are decoded by a WebAssembly module
 * whose memory only ever grows, so they are measured first, from their framing, and handed to
 * `decode` (the client's own decoder) only when they fit: snappy states its length up front; an
 * LZ4 frame inflates to at most its block size per block, and a block never to more than 255
 * times its bytes — an upper bound, so an LZ4 batch whose bound passes the limit but not the
 * ceiling is decoded and then judged by what it inflated to.
 *
 * @example
 * ```ts
 * const records = inflateWithin('zstd', compressed, 8 * 1024 * 1024, original.decompressSync)
 * ```
 */
export function inflateWithin(codec: BatchCodec, data: Buffer, limit: number, decode: (data: Buffer) => Buffer, ceiling = limit): Buffer {
  switch (codec) {
    case 'gzip':
      return zlibWithin(codec, data, limit, zlib.gunzipSync)
    case 'zstd':
      return zlibWithin(codec, data, limit, zlib.zstdDecompressSync)
    case 'snappy': {
      const size = snappySize(data)
      if (size === undefined) throw new InflateRefused(codec, limit, data.length, 'unmeasurable')
      if (size > limit) throw new InflateRefused(codec, limit, data.length, 'too-large')
      return decode(data)
    }
    case 'lz4': {
      const most = Math.max(limit, ceiling)
      const bound = lz4Bound(data, most)
      if (bound === undefined) throw new InflateRefused(codec, limit, data.length, 'unmeasurable')
      if (bound > most) throw new InflateRefused(codec, limit, data.length, 'too-large')
      const inflated = decode(data)
      if (inflated.length > limit) throw new InflateRefused(codec, limit, data.length, 'too-large')
      return inflated
    }
  }
}

function zlibWithin(codec: BatchCodec, data: Buffer, limit: number, inflate: (data: Buffer, options: { maxOutputLength: number }) => Buffer): Buffer {
  try {
    return inflate(data, { maxOutputLength: limit })
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new InflateRefused(codec, limit, data.length, 'too-large')
    throw error
  }
}

/** The framing Java clients (snappy-java) put around snappy chunks: a magic, a version, a minimum version, then length-prefixed chunks. */
const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const xerialHeaderBytes = 16

/** The inflated length a snappy block or xerial stream states, or undefined when its framing is broken. */
export function snappySize(data: Buffer): number | undefined {
  if (data.length < xerialHeaderBytes || !data.subarray(0, xerialMagic.length).equals(xerialMagic)) return snappyPreamble(data, 0, data.length)
  let total = 0
  for (let offset = xerialHeaderBytes; offset < data.length; ) {
    if (offset + 4 > data.length) return undefined
    const chunk = data.readUInt32BE(offset)
    offset += 4
    if (offset + chunk > data.length) return undefined
    const size = snappyPreamble(data, offset, offset + chunk)
    if (size === undefined) return undefined
    total += size
    offset += chunk
  }
  return total
}

/** A raw snappy block begins with its inflated length as a little-endian base-128 varint of at most 32 bits. */
function snappyPreamble(data: Buffer, start: number, end: number): number | undefined {
  let value = 0
  for (let index = 0; index < 5 && start + index < end; index++) {
    const byte = data[start + index] ?? 0
    value += (byte & 0x7f) * 2 ** (7 * index)
    if (byte < 0x80) return value
  }
  return undefined
}

const lz4FrameMagic = 0x184d2204
/** Skippable frames carry data LZ4 readers pass over: magics 0x184D2A50 to 0x184D2A5F. */
const lz4SkippableMagic = 0x184d2a50
/** Block maximum sizes by the frame descriptor's BD code (4 to 7). */
const lz4BlockMax: Readonly<Record<number, number>> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 }
/** No LZ4 sequence yields more than 255 bytes per byte it takes: a match's length grows by at most 255 per extra byte. */
const lz4MaxRatio = 255

/**
 * The most an LZ4 frame (or a run of frames) can inflate to, read from its block headers without
 * inflating anything; undefined when it is not well-formed LZ4 framing. Stops counting once past
 * `stopAbove`.
 */
export function lz4Bound(data: Buffer, stopAbove = Number.POSITIVE_INFINITY): number | undefined {
  let bound = 0
  let offset = 0
  while (offset < data.length) {
    if (offset + 4 > data.length) return undefined
    const magic = data.readUInt32LE(offset)
    if ((magic & 0xfffffff0) === lz4SkippableMagic) {
      if (offset + 8 > data.length) return undefined
      offset += 8 + data.readUInt32LE(offset + 4)
      continue
    }
    if (magic !== lz4FrameMagic || offset + 7 > data.length) return undefined
    const flags = data[offset + 4] ?? 0
    const blockMax = lz4BlockMax[((data[offset + 5] ?? 0) >> 4) & 0x07]
    if (flags >> 6 !== 1 || blockMax === undefined) return undefined
    const blockChecksum = (flags & 0x10) !== 0
    offset += 4 + 2 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1
    for (;;) {
      if (offset + 4 > data.length) return undefined
      const header = data.readUInt32LE(offset)
      offset += 4
      if (header === 0) break
      const bytes = header & 0x7fffffff
      // The high bit marks a block stored as it is.
      bound += header >>> 31 === 1 ? bytes : Math.min(blockMax, bytes * lz4MaxRatio)
      if (bound > stopAbove) return bound
      offset += bytes + (blockChecksum ? 4 : 0)
      if (offset > data.length) return undefined
    }
    // A content checksum follows the end mark when the frame has one.
    offset += (flags & 0x04) !== 0 ? 4 : 0
  }
  return offset === data.length ? bound : undefined
}
