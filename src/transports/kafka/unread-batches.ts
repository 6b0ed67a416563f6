import { Buffer } from 'node:buffer'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import type { BatchCodec } from './bounded-inflate.ts'
import { maxInflateRatio } from './inflate-budget.ts'

/** A compressed record batch that was not inflated, and why. */
export interface UnreadBatch {
  readonly codec: BatchCodec
  /** Records the batch holds, as its header says. */
  readonly records: number
  readonly compressedBytes: number
  /** The per-batch inflate limit in force (bytes). */
  readonly limit: number
  /** What this batch was allowed: the limit, or less under the ratio rule (inflate-budget.ts). */
  readonly allowed: number
  /** Past the limit; past {@link maxInflateRatio} in a fetch that had inflated a limit's worth; or not measurable. */
  readonly reason: 'too-large' | 'ratio' | 'unmeasurable'
}

/** The header on a batch's stand-in record; it says why the records could not be read. */
export const unreadBatchHeader = 'kipc-unread-batch'

/** Stand-in buffers handed to the client, by their memory: only this module makes them, so no record from the broker can pass for one. */
const standIns = new WeakMap<ArrayBufferLike, UnreadBatch>()

/**
 * The most records a batch of `compressedBytes` may declare and still be stood in for: four per
 * compressed byte, more than any batch a broker took can hold (zstd packs minimal records at about
 * 1.2 per byte). Anything above is not a batch the broker validated, and is not trusted with an
 * allocation.
 *
 * @example
 * ```ts
 * maxStandIns(300) // 1200
 * ```
 */
export function maxStandIns(compressedBytes: number): number {
  return Math.max(1, 4 * compressedBytes)
}

/**
 * Stand-in records for an unread batch, in Kafka's record format, for the client to parse in place
 * of the batch's own: as many as the batch holds, so the client's reading and offsets work as for
 * any batch. All but the last carry an offset below any fetch position, so the client passes over
 * them; the last carries the batch's last offset, no value and the {@link unreadBatchHeader}, and
 * reaches kafka-ipc as the one record of the batch, to be reported and committed past.
 *
 * @example
 * ```ts
 * return standInRecords({ codec: 'zstd', records: 3, compressedBytes: 2067, limit: 8 << 20, allowed: 8 << 20, reason: 'too-large' })
 * ```
 */
export function standInRecords(batch: UnreadBatch): Buffer {
  const skipped = record(skippedDelta, undefined)
  const last = record(batch.records - 1, [Buffer.from(unreadBatchHeader), Buffer.from(describe(batch))])
  // Never from the shared pool: the buffer's memory is what tells a stand-in apart.
  const skippedBytes = skipped.length * (batch.records - 1)
  const buffer = Buffer.alloc(skippedBytes + last.length)
  if (skippedBytes > 0) buffer.fill(skipped, 0, skippedBytes)
  last.copy(buffer, skippedBytes)
  standIns.set(buffer.buffer, batch)
  return buffer
}

/**
 * The unread batch a consumed record stands in for, told by its header's bytes (a stand-in's
 * header name is a view of a buffer {@link standInRecords} made); undefined for any other record.
 *
 * @example
 * ```ts
 * const unread = unreadBatchOf(message.headerEntries[0]?.[0])
 * ```
 */
export function unreadBatchOf(headerName: Uint8Array | null | undefined): UnreadBatch | undefined {
  // Asked of every record consumed: most are told apart by the name's length alone.
  return headerName?.length === unreadBatchHeader.length ? standIns.get(headerName.buffer) : undefined
}

/**
 * The error reported for an unread batch: `KIPC_PAYLOAD_TOO_LARGE`, naming where its records are
 * and the limit.
 *
 * @example
 * ```ts
 * onError(unreadBatchError(unread, { topic, partition, offset }))
 * ```
 */
export function unreadBatchError(batch: UnreadBatch, where: { readonly topic: string; readonly partition: number; readonly offset: bigint }): KafkaIpcError {
  const first = where.offset - BigInt(batch.records - 1)
  const offsets = batch.records === 1 ? `offset ${String(where.offset)}` : `offsets ${String(first)}–${String(where.offset)}`
  return new KafkaIpcError(
    'KIPC_PAYLOAD_TOO_LARGE',
    `A ${batch.codec} record batch of ${where.topic}[${String(where.partition)}] at ${offsets} (${String(batch.records)} record(s), ${String(batch.compressedBytes)} bytes compressed) ${refusal(batch)}; it was not inflated and its records are skipped as unreadable.`,
    { details: { topic: where.topic, partition: where.partition, firstOffset: first, lastOffset: where.offset, records: batch.records, codec: batch.codec, compressedBytes: batch.compressedBytes, limit: batch.limit, allowed: batch.allowed, reason: batch.reason } },
  )
}

/**
 * The error a consumed record arrives with when it stands in for an unread batch
 * ({@link unreadBatchOf}, {@link unreadBatchError}); undefined for every record the broker sent.
 * The pipeline reports it, with its offsets, and drops or dead-letters the record: one report per
 * batch.
 *
 * @example
 * ```ts
 * const rejected = standInRejection(message.headerEntries[0]?.[0], message)
 * ```
 */
export function standInRejection(headerName: Uint8Array | null | undefined, where: { readonly topic: string; readonly partition: number; readonly offset: bigint }): KafkaIpcError | undefined {
  const unread = unreadBatchOf(headerName)
  return unread === undefined ? undefined : unreadBatchError(unread, where)
}

/** What the stand-in's header says, for whoever reads the record (a dead letter keeps it). */
function describe(batch: UnreadBatch): string {
  return `${batch.codec} batch of ${String(batch.records)} record(s), ${String(batch.compressedBytes)} bytes compressed, ${refusal(batch)}; not inflated`
}

/** Why a batch was not inflated, in words. */
function refusal(batch: UnreadBatch): string {
  switch (batch.reason) {
    case 'too-large':
      return `inflates past ${String(batch.allowed)} bytes`
    case 'ratio':
      return `inflates past ${String(maxInflateRatio)} times its size (${String(batch.allowed)} bytes) in a fetch that had inflated ${String(batch.limit)} bytes`
    case 'unmeasurable':
      return 'has framing whose inflated size cannot be told'
  }
}

/**
 * Far enough below the batch's first offset to be below any fetch position: a fetch response
 * spans fewer than 2^30 offsets, and offsets below zero are below every position.
 */
const skippedDelta = -(2 ** 30)

/** One record (Kafka record format v2): no key, no value, the headers given. */
function record(offsetDelta: number, header: readonly [Buffer, Buffer] | undefined): Buffer {
  const body = Buffer.concat([
    Buffer.from([0]), // attributes
    varint(0), // timestamp delta
    varint(offsetDelta),
    varint(-1), // key: null
    varint(-1), // value: null
    varint(header === undefined ? 0 : 1),
    ...(header === undefined ? [] : header.flatMap((bytes) => [varint(bytes.length), bytes])),
  ])
  return Buffer.concat([varint(body.length), body])
}

/** A zig-zag varint, as Kafka records encode their 32-bit fields. */
function varint(value: number): Buffer {
  let rest = ((value << 1) ^ (value >> 31)) >>> 0
  const bytes: number[] = []
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80)
    rest >>>= 7
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}
