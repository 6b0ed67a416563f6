// Where kafka-ipc reaches into @platformatic/kafka's internals to bound inflating (docs/decisions/0011).
//
// The client inflates each compressed record batch of a fetch response while it parses the
// response, before any record reaches kafka-ipc, and inflates it whole: a 100 MiB body compressed
// to 3 KB passes the broker's size limit and is inflated in full before kafka-ipc's 413 check can
// run. The client offers no option to bound this. It does export the table its parser looks its
// decompressors up in (`compressionsAlgorithms`, the same objects as `compressionsAlgorithmsByBitmask`),
// and the tables are plain mutable objects: this module replaces each codec's `decompressSync` with
// one that stops where inflate-budget.ts allows (bounded-inflate.ts).
//
// A batch refused at the limit must still be parsed, or the whole fetch fails and the partition is
// read again and again. The parser reads `recordCount` records from what `decompressSync` returns,
// and reads that count (an int32, with `Reader#readInt32`) just before calling it; so the last int32
// any Reader returned is remembered, and a refused batch is answered with that many stand-in
// records (unread-batches.ts). Offsets come from the batch header, which the client has already
// read, so the consumer moves past the batch as past any other.
//
// The tables serve every client of the process, an application's own consumers too. Only
// kafka-ipc's are bounded: its subscriptions and inboxes start inside kafka-ipc's async context
// (asKafkaIpcClient), which their connections — and so the parsing of their fetch responses —
// carry; any other client's batches go to the client's own decompressors, as without kafka-ipc.
//
// test/unit/transports/kafka/client-decompression.test.ts fails if a client upgrade breaks either
// assumption: the tables' shape and sharing, and the count read just before inflating.
import { Buffer } from 'node:buffer'
import { AsyncLocalStorage } from 'node:async_hooks'
import { compressionsAlgorithms, compressionsAlgorithmsByBitmask, Reader, type SyncCompressionPhase } from '@platformatic/kafka'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import type { Logger } from '../../core/logger.ts'
import { type BatchCodec, InflateRefused, inflateWithin } from './bounded-inflate.ts'
import { inflateAllowance, spendInflated } from './inflate-budget.ts'
import { maxStandIns, standInRecords } from './unread-batches.ts'

const codecs: readonly BatchCodec[] = ['gzip', 'snappy', 'lz4', 'zstd']

/** The last int32 a client Reader returned: a batch's record count, when a decompressor runs. */
let lastInt32 = 0

let state: 'off' | 'on' | 'unavailable' = 'off'

/** Set while kafka-ipc's own clients run: the async context their connections are made in. */
const kafkaIpcClients = new AsyncLocalStorage<true>()

/**
 * Runs `start` — which makes a kafka-ipc consumer and starts it fetching — so that the record
 * batches that consumer fetches, now and after any recovery it makes, are inflated within the
 * bounds (everything it does later descends from this context). An application's own
 * @platformatic/kafka clients, started outside it, keep the client's own decompressors.
 *
 * @example
 * ```ts
 * const subscription = await asKafkaIpcClient(() => subscribeKafka(connection, options))
 * ```
 */
export function asKafkaIpcClient<T>(start: () => T): T {
  return kafkaIpcClients.run(true, start)
}

/**
 * Installs the bounded decompressors into the client, once per process (later calls do nothing),
 * for the clients kafka-ipc starts through {@link asKafkaIpcClient}.
 * When the client's tables are not shaped as this module expects (a client upgrade changed them),
 * nothing is replaced and `logger` is told once: batches are then inflated whole, as before.
 *
 * @example
 * ```ts
 * installBoundedDecompression(logger)
 * ```
 */
export function installBoundedDecompression(logger?: Logger): void {
  if (state !== 'off') return
  const mismatch = tableMismatch()
  if (mismatch !== undefined) {
    state = 'unavailable'
    logger?.warn({ mismatch }, `kafka-ipc cannot bound the inflating of compressed record batches with this @platformatic/kafka (${mismatch}); a compression bomb is inflated whole (docs/security.md#compressed-batches)`)
    return
  }
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with .call(this)
  const readInt32 = Reader.prototype.readInt32
  Reader.prototype.readInt32 = function (this: Reader): number {
    lastInt32 = readInt32.call(this)
    return lastInt32
  }
  for (const codec of codecs) {
    const algorithm = compressionsAlgorithms[codec] as { decompressSync: SyncCompressionPhase }
    const original = algorithm.decompressSync.bind(algorithm)
    algorithm.decompressSync = (data) => (kafkaIpcClients.getStore() === true ? inflateOrStandIn(codec, Buffer.isBuffer(data) ? data : data.buffer, original) : original(data))
  }
  state = 'on'
}

/** Whether the bounded decompressors are in place. */
export function boundedDecompressionInstalled(): boolean {
  return state === 'on'
}

function inflateOrStandIn(codec: BatchCodec, data: Buffer, original: (data: Buffer) => Buffer): Buffer {
  // Read before inflating: nothing else may read an int32 in between.
  const records = lastInt32
  const allowed = inflateAllowance(data.length)
  try {
    const inflated = inflateWithin(codec, data, allowed.bytes, original, allowed.limit)
    spendInflated(inflated.length)
    return inflated
  } catch (error) {
    if (!(error instanceof InflateRefused)) throw error
    // zlib got as far as the allowance before refusing.
    spendInflated(allowed.bytes)
    const { limit } = allowed
    if (!Number.isInteger(records) || records < 1 || records > maxStandIns(data.length)) {
      // Not a count a broker would have taken (or not the count at all): the fetch fails, typed.
      throw Object.assign(
        new KafkaIpcError('KIPC_PAYLOAD_TOO_LARGE', `A ${codec} record batch (${String(data.length)} bytes compressed) was refused: ${error.message}; it declares ${String(records)} records, more than it can hold, so it cannot be skipped record by record.`, {
          details: { codec, records, compressedBytes: data.length, limit },
        }),
        // The client retries a fetch unless an error says it cannot succeed.
        { canRetry: false },
      )
    }
    return standInRecords({ codec, records, compressedBytes: data.length, limit, allowed: allowed.bytes, reason: error.reason === 'too-large' && allowed.rule === 'ratio' ? 'ratio' : error.reason })
  }
}

/** What about the client's tables differs from what this module relies on; undefined when nothing. */
function tableMismatch(): string | undefined {
  if (typeof Reader.prototype.readInt32 !== 'function') return 'Reader#readInt32 is missing'
  const byBitmask = compressionsAlgorithmsByBitmask as Record<string, unknown>
  for (const codec of codecs) {
    const algorithm = (compressionsAlgorithms as Record<string, { decompressSync?: unknown; bitmask?: unknown } | undefined>)[codec]
    if (algorithm === undefined || typeof algorithm.decompressSync !== 'function' || typeof algorithm.bitmask !== 'number') return `no ${codec} decompressor`
    if (byBitmask[String(algorithm.bitmask)] !== algorithm) return `the ${codec} decompressor is not shared by compressionsAlgorithmsByBitmask`
    if (Object.isFrozen(algorithm)) return `the ${codec} decompressor cannot be replaced`
  }
  return undefined
}
