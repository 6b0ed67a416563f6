import { Buffer } from 'node:buffer'
import type { Message } from '@platformatic/kafka'
import { BoundedMemo } from '../../core/bounded-memo.ts'
import { IncomingMessage } from '../../core/transport.ts'
import { wireHeader } from '../../core/protocol/envelope.ts'
import type { WireHeaders } from '../../core/protocol/headers.ts'
import { headerLimits, isEnvelopeHeader } from '../../core/protocol/headers.ts'
import { EnvelopeOnlyHeaders } from '../../core/protocol/envelope-only-headers.ts'
import { packedEnvelopeHeader, packedText, unpackEnvelope } from '../../core/protocol/packed-envelope.ts'
import type { EnvelopeForm } from '../../core/policy.ts'
import { standInRejection } from './unread-batches.ts'

/**
 * How records are turned into bytes on the way out: keys as UTF-8, values as given, headers
 * already encoded by {@link encodeHeaders}.
 */
export const producerSerializers = {
  key: (key?: string): Buffer | undefined => (key === undefined ? undefined : Buffer.from(key)),
  // The codec's bodies are Buffers already: no second view of the same bytes per record.
  value: (value?: Uint8Array): Buffer | undefined => (value === undefined || Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
  // Names are encoded once and reused; values are encoded as the library copies them.
  headerKey: (name?: string | Buffer): Buffer | undefined => (typeof name === 'string' ? encoded.get(name) : name),
  headerValue: (value?: string | Buffer): Buffer | undefined => (typeof value === 'string' ? Buffer.from(value) : value),
}

/**
 * One record as the client library's producer takes it. A class, not an object literal: the
 * library holds it until its produce is acknowledged, past young-generation collections under
 * load, and V8 would allocate a literal's later records in the old generation, each keeping its
 * young headers and value alive until the next full collection (core/protocol/outgoing-record.ts).
 * The library reads an undefined partition or key as absent (its partitioner places the record).
 *
 * @example
 * ```ts
 * const record = new ProducedRecord('orders.requests', 3, undefined, value, producedHeaders(message.headers, 'packed'))
 * ```
 */
export class ProducedRecord {
  readonly topic: string
  readonly partition: number | undefined
  readonly key: string | undefined
  readonly value: Uint8Array
  readonly headers: ReadonlyMap<string, string> | Map<Buffer, Buffer>

  constructor(topic: string, partition: number | undefined, key: string | undefined, value: Uint8Array, headers: ReadonlyMap<string, string> | Map<Buffer, Buffer>) {
    this.topic = topic
    this.partition = partition
    this.key = key
    this.value = value
    this.headers = headers
  }
}

/** Envelope headers whose values repeat across messages (versions, kinds, routes, services, inboxes). */
const repeatingValues = new Set<string>([wireHeader.version, wireHeader.kind, wireHeader.contentType, wireHeader.method, wireHeader.path, wireHeader.service, wireHeader.status, wireHeader.replyTo])

/** Strings encoded before, at most 4096 of them; past that, new strings are encoded each time. */
const encoded = new BoundedMemo((text: string) => Buffer.from(text), { limit: 4096 })

/**
 * Encodes outgoing headers for the producer: the envelope as one `kipc` header (policy
 * `envelope: 'packed'`, docs/protocol.md §2) or one header per field. A record built by
 * buildMessage carries its envelope packed already (a `kipc` entry): its text is encoded as it
 * is. Separate `kipc-*` entries (a dead letter's, a reply stored by an older version) are packed
 * here. Names and repeating envelope values are encoded once and reused — the producer copies
 * them into the request, never changes them — which saves two allocations per header on every
 * message; ids, packed envelopes and application values are encoded each time. The envelope goes
 * first, so that a reader that stops at its header limit still sees it.
 */
export function encodeHeaders(headers: ReadonlyMap<string, string>, envelope: EnvelopeForm = 'packed'): Map<Buffer, Buffer> {
  const result = new Map<Buffer, Buffer>()
  const packed = packedText(headers)
  if (packed !== undefined && envelope === 'packed') result.set(encoded.get(packedEnvelopeHeader), Buffer.from(packed))
  if (packed !== undefined && envelope === 'headers') {
    const fields = new Map<string, string>()
    unpackEnvelope(packed, fields, Number.POSITIVE_INFINITY)
    for (const [name, value] of fields) result.set(encoded.get(name), repeatingValues.has(name) ? encoded.get(value) : Buffer.from(value))
  }
  for (const [name, value] of headers) {
    if (isEnvelopeHeader(name)) continue
    result.set(encoded.get(name), repeatingValues.has(name) ? encoded.get(value) : Buffer.from(value))
  }
  return result
}

/**
 * The headers to hand the producer for one record: a record as buildMessage built it — its packed
 * envelope first, no separate `kipc-*` entry — goes as it is, its names and values encoded by
 * {@link producerSerializers} while the library copies them into its own map (no map of ours per
 * record); any other record, or the one-header-per-field form, through {@link encodeHeaders}.
 *
 * @example
 * ```ts
 * producer.send({ messages: [{ topic, value, headers: producedHeaders(message.headers, policy.envelope) }] })
 * ```
 */
export function producedHeaders(headers: ReadonlyMap<string, string>, envelope: EnvelopeForm): ReadonlyMap<string, string> | Map<Buffer, Buffer> {
  return envelope === 'packed' && isAsBuilt(headers) ? headers : encodeHeaders(headers, envelope)
}

/** Whether `headers` start with a packed envelope and hold no other envelope entry. */
function isAsBuilt(headers: ReadonlyMap<string, string>): boolean {
  let first = true
  for (const name of headers.keys()) {
    if (first) {
      if (name !== packedEnvelopeHeader) return false
      first = false
    } else if (isEnvelopeHeader(name)) {
      return false
    }
  }
  return !first
}

/** Keys and values stay Buffers on the way in; headers are decoded by {@link decodeHeaders}. */
export const rawDeserializers = {
  key: (data?: Buffer): Buffer | undefined => data,
  value: (data?: Buffer): Buffer | undefined => data,
  headerKey: (data?: Buffer): Buffer | undefined => data,
  headerValue: (data?: Buffer): Buffer | undefined => data,
}

/** The most bytes a packed envelope may take: each of its fields may be as long as a header value. */
const packedValueLimit = headerLimits.envelopeAllowance * headerLimits.maxValueLength

/**
 * Decodes untrusted record headers into a map: at most maxCount + envelopeAllowance headers,
 * oversized names or values skipped, the first of duplicate names kept. A packed envelope (a
 * `kipc` header) stays as it came — one entry, its value allowed one header value's length per
 * field — for readEnvelope to read its fields straight from the text (and `envelopeField` for
 * anyone else): no map entry per field on every record.
 */
export function decodeHeaders(entries: Iterable<readonly [Buffer | null | undefined, Buffer | null | undefined]>): ReadonlyMap<string, string> {
  // The usual record kafka-ipc wrote — the client library hands its headers over as an array —
  // carries its packed envelope alone: held in one field, not a Map (EnvelopeOnlyHeaders).
  const only = Array.isArray(entries) && entries.length === 1 ? (entries[0] as readonly [Buffer | null | undefined, Buffer | null | undefined]) : undefined
  if (only !== undefined) {
    const [name, value] = only
    if (name != null && value != null && isPackedEnvelopeName(name) && value.length <= packedValueLimit) return new EnvelopeOnlyHeaders(value.toString())
  }
  const headers: WireHeaders = new Map()
  const limit = headerLimits.maxCount + headerLimits.envelopeAllowance
  let count = 0
  for (const [name, value] of entries) {
    if (name == null || count >= limit) continue
    if (name.length > headerLimits.maxNameLength) continue
    // The packed envelope's name, on every record kafka-ipc writes, is told by its four bytes: no
    // string made and lowered for it. toString() without an encoding argument is Node's fast path to UTF-8.
    const key = isPackedEnvelopeName(name) ? packedEnvelopeHeader : name.toString().toLowerCase()
    // A packed envelope carries several fields in one header: its value may be longer.
    if ((value?.length ?? 0) > (key === packedEnvelopeHeader ? packedValueLimit : headerLimits.maxValueLength)) continue
    if (headers.has(key)) continue
    headers.set(key, value == null ? '' : value.toString())
    count++
  }
  return headers
}

/** Whether a header name's bytes are exactly `kipc` (lower case; any other spelling takes the general path). */
function isPackedEnvelopeName(name: Buffer): boolean {
  return name.length === 4 && name[0] === 0x6b && name[1] === 0x69 && name[2] === 0x70 && name[3] === 0x63
}

/** A record as the client library parses it, keys, values and headers left as bytes. */
export type RawMessage = Message<Buffer | undefined, Buffer | undefined, Buffer | undefined, Buffer | undefined>

/**
 * Turns a consumed record into the transport-neutral shape: one object, built once, on the hot
 * path. Nothing of the client's parsed record is kept (its header arrays and maps) — a request
 * is held until its reply is acknowledged, and objects that live that long are what the garbage
 * collector pays for (docs/performance.md). A stand-in for an unread batch (unread-batches.ts),
 * told by the memory its first header name lies in, never by its content, arrives `rejected`.
 */
export function toIncoming(message: RawMessage): IncomingMessage {
  return new IncomingMessage(
    message.topic,
    message.partition,
    message.offset,
    message.key === undefined || message.key.length === 0 ? undefined : message.key.toString(),
    decodeHeaders(message.headerEntries),
    message.value ?? new Uint8Array(0),
    Number(message.timestamp),
    standInRejection(message.headerEntries[0]?.[0], message),
  )
}
