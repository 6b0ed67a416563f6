import type { Codec } from './codec.ts'
import { encodeBody } from './bodies.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import type { OutgoingMessage } from '../transport.ts'
import { newMessageId } from './message-id.ts'
import { OutgoingRecord } from './outgoing-record.ts'
import { checkBodySize } from './body-size.ts'
import { isEnvelopeHeader, type WireHeaders } from './headers.ts'
import { envelopeFieldNames, envelopeHeaderNames, packedEnvelopeHeader, packFields, readPackedFields } from './packed-envelope.ts'

/**
 * The kafka-ipc wire protocol, version 1 (docs/protocol.md). The record value is the body; the
 * envelope travels in headers so plain Kafka tools can read and write it. Writing an envelope
 * ({@link buildMessage}) and reading one ({@link readEnvelope}) stand side by side here.
 */
export const protocolVersion = '1'

/** Header names of the envelope. All are lowercase; user headers may not start with `kipc-`. */
export const wireHeader = {
  version: 'kipc-v',
  kind: 'kipc-kind',
  id: 'kipc-id',
  correlation: 'kipc-correlation',
  replyTo: 'kipc-reply-to',
  deadline: 'kipc-deadline',
  method: 'kipc-method',
  path: 'kipc-path',
  query: 'kipc-query',
  status: 'kipc-status',
  service: 'kipc-service',
  seq: 'kipc-seq',
  stream: 'kipc-stream',
  window: 'kipc-window',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const

/** What a record is. */
export type MessageKind = 'event' | 'request' | 'reply' | 'item' | 'items' | 'end' | 'error' | 'cancel' | 'credit' | 'heartbeat'

const kinds = new Set<string>(['event', 'request', 'reply', 'item', 'items', 'end', 'error', 'cancel', 'credit', 'heartbeat'])


/**
 * The envelope of a received message, checked: what {@link readEnvelope} returns. A class, not an
 * object literal: a request's envelope lives as long as its handling, long enough under load for
 * V8 to allocate a literal's later envelopes in the old generation (outgoing-record.ts says more).
 *
 * @example
 * ```ts
 * const envelope = readEnvelope(message.headers)
 * if (envelope.kind === 'request') route(envelope.method, envelope.path)
 * ```
 */
export class Envelope {
  readonly kind: MessageKind
  readonly id: string
  readonly correlation: string | undefined
  readonly replyTo: string | undefined
  readonly deadline: number | undefined
  readonly method: string | undefined
  readonly path: string | undefined
  /** The query string of a request, without its `?`; absent when there is none. */
  readonly query: string | undefined
  readonly status: number | undefined
  readonly service: string | undefined
  readonly seq: number | undefined
  /** `bytes` on the items of a streamed HTTP body: pieces of one body, not values (never decoded). */
  readonly stream: string | undefined
  /**
   * Stream flow control (docs/protocol.md §9): on a request, the most items its caller will hold
   * unread; on an item, the window the responder applies, telling the caller to send credit.
   */
  readonly window: number | undefined

  /** The fields in the order of envelopeFieldNames, from `kind` on. */
  constructor(
    kind: MessageKind,
    id: string,
    correlation: string | undefined,
    replyTo: string | undefined,
    deadline: number | undefined,
    method: string | undefined,
    path: string | undefined,
    query: string | undefined,
    status: number | undefined,
    service: string | undefined,
    seq: number | undefined,
    stream: string | undefined,
    window: number | undefined,
  ) {
    this.kind = kind
    this.id = id
    this.correlation = correlation
    this.replyTo = replyTo
    this.deadline = deadline
    this.method = method
    this.path = path
    this.query = query
    this.status = status
    this.service = service
    this.seq = seq
    this.stream = stream
    this.window = window
  }
}

/** The fields every outgoing envelope may carry besides version, kind and id. */
export interface EnvelopeFields {
  readonly correlation?: string | undefined
  readonly replyTo?: string | undefined
  readonly deadline?: number | undefined
  readonly method?: string | undefined
  readonly path?: string | undefined
  readonly query?: string | undefined
  readonly status?: number | undefined
  readonly service?: string | undefined
  readonly seq?: number | undefined
  readonly stream?: 'bytes' | undefined
  readonly window?: number | undefined
}

/**
 * Builds one outgoing record: envelope headers over the application's headers, the body encoded
 * as its `content-type` says ({@link encodeBody}: an application `content-type` header chooses
 * the format; without one, the codec), and the size check the policy demands. A body of the
 * codec's own type carries no `content-type` header: readers put it back (`impliedContentType`).
 */
export function buildMessage(
  target: { readonly topic: string; readonly partition?: number; readonly key?: string | undefined },
  kind: MessageKind,
  fields: EnvelopeFields,
  body: unknown,
  codec: Codec,
  maxBytes: number,
  headers?: WireHeaders,
  id: string = newMessageId(),
): OutgoingMessage {
  // Envelope first, packed once here: a reader that stops at its header limit still sees it.
  const all: WireHeaders = new Map()
  all.set(packedEnvelopeHeader, packFields(protocolVersion, kind, id, fields))
  const encoded = encodeBody(body, headers?.get(wireHeader.contentType), codec)
  const value = encoded.value
  // The codec's own type on a body goes unwritten: a reader takes an untyped body as the codec's
  // anyway (impliedContentType), and one header less per record is less work for the client
  // library on both sides (docs/decisions/0013).
  if (encoded.contentType !== undefined && (encoded.contentType !== codec.contentType || value.byteLength === 0)) all.set(wireHeader.contentType, encoded.contentType)
  // The envelope's own names are never taken from the application (the API refuses them anyway);
  // its content-type was settled above.
  if (headers !== undefined) for (const [name, text] of headers) if (name !== wireHeader.contentType && !all.has(name) && !isEnvelopeHeader(name)) all.set(name, text)
  checkBodySize(value.byteLength, maxBytes, kind)
  // An instance, not a literal: a record lives until its produce is acknowledged, long enough for
  // V8 to allocate a literal's records in the old generation from then on (outgoing-record.ts).
  return new OutgoingRecord(target.topic, target.partition, target.key, all, value)
}

/**
 * Checks the envelope of an incoming message: read straight from its packed `kipc` header, and
 * from separate `kipc-*` headers for any field the packed one lacks (policy `envelope:
 * 'headers'`, or an older writer) — a packed field wins. Unknown versions, unknown kinds and
 * malformed numbers are protocol errors; the caller decides whether to drop or answer them.
 */
export function readEnvelope(headers: ReadonlyMap<string, string>): Envelope {
  const packed = headers.get(packedEnvelopeHeader)
  // One array for every record read, filled and read synchronously: no allocation of its own.
  if (packed === undefined) packedFields.fill(undefined)
  else readPackedFields(packed, packedFields)
  // A record whose one header is the packed envelope has no separate field to look for: the ten
  // or so fields a kind leaves out are not each looked up in its header map.
  separateHeaders = packed === undefined || headers.size > 1
  const version = field(headers, 0)
  if (version !== protocolVersion) throw protocolError(`unsupported protocol version ${JSON.stringify(version ?? null)} (this build speaks ${protocolVersion})`)
  const kind = field(headers, 1)
  if (kind === undefined || !kinds.has(kind)) throw protocolError(`unknown message kind ${JSON.stringify(kind ?? null)}`)
  const id = field(headers, 2)
  if (id === undefined || id === '' || id.length > 128) throw protocolError('missing or oversized kipc-id')
  return new Envelope(kind as MessageKind, id, field(headers, 3), field(headers, 4), integerField(headers, 5), field(headers, 6), field(headers, 7), field(headers, 8), integerField(headers, 9), field(headers, 10), integerField(headers, 11), field(headers, 12), integerField(headers, 13))
}

/** The fields of the packed envelope readEnvelope is reading, by their index in envelopeFieldNames. */
const packedFields: (string | undefined)[] = envelopeFieldNames.map(() => undefined)

/** Whether the record being read has headers besides its packed envelope (set by readEnvelope). */
let separateHeaders = true

/** Field `index` of the envelope being read: the packed one, else the separate header. */
function field(headers: ReadonlyMap<string, string>, index: number): string | undefined {
  const packed = packedFields[index]
  if (packed !== undefined || !separateHeaders) return packed
  return headers.get(envelopeHeaderNames[index] ?? '')
}

/** A numeric field: 1 to 15 decimal digits, nothing else (no sign, no space, no exponent). */
function integerField(headers: ReadonlyMap<string, string>, index: number): number | undefined {
  const text = field(headers, index)
  if (text === undefined) return undefined
  if (text.length === 0 || text.length > 15) throw notAnInteger(index, text)
  // Digit by digit: the deadline and status of every record, without a regular expression's match.
  let value = 0
  for (let at = 0; at < text.length; at++) {
    const digit = text.charCodeAt(at) - 48
    if (digit < 0 || digit > 9) throw notAnInteger(index, text)
    value = value * 10 + digit
  }
  return value
}

function notAnInteger(index: number, text: string): KafkaIpcError {
  return protocolError(`${envelopeHeaderNames[index] ?? ''} must be a non-negative integer, got ${JSON.stringify(text.slice(0, 40))}`)
}

function protocolError(message: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_PROTOCOL_ERROR', `Malformed kafka-ipc message: ${message}.`)
}
