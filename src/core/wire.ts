import { randomBytes } from 'node:crypto'
import { KafkaIpcError } from './kafka-ipc-error.ts'

/**
 * The kafka-ipc wire protocol, version 1 (docs/protocol.md). The record value is the body; the
 * envelope travels in headers so plain Kafka tools can read and write it.
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
  status: 'kipc-status',
  service: 'kipc-service',
  seq: 'kipc-seq',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const

/** What a record is. */
export type MessageKind = 'event' | 'request' | 'reply' | 'item' | 'items' | 'end' | 'error' | 'cancel'

const kinds = new Set<string>(['event', 'request', 'reply', 'item', 'items', 'end', 'error', 'cancel'])

/**
 * Headers as the transports hand them over: lowercase names to strings. A Map, not an object —
 * names from the wire can never reach a prototype, and it is several times faster to fill and
 * read than a prototype-free object on the per-message path.
 */
export type WireHeaders = Map<string, string>

/**
 * Limits on headers, in bytes. `maxCount` is the application's headers; readers keep up to
 * `maxCount + envelopeAllowance` so the envelope always fits beside them.
 */
export const headerLimits = { maxCount: 64, envelopeAllowance: 16, maxNameLength: 128, maxValueLength: 8192 } as const

/** The envelope of a received message, checked. */
export interface Envelope {
  readonly kind: MessageKind
  readonly id: string
  readonly correlation: string | undefined
  readonly replyTo: string | undefined
  readonly deadline: number | undefined
  readonly method: string | undefined
  readonly path: string | undefined
  readonly status: number | undefined
  readonly service: string | undefined
  readonly seq: number | undefined
}

let entropy = Buffer.alloc(0)
let entropyOffset = 0

/**
 * A new message id: 16 random bytes, base64url — unique, unguessable (a request id is what a
 * cancel names), short, safe in a header. Bytes come from a pooled 4 KiB draw: one system call per
 * 256 ids instead of one per id, on the hot path of every message.
 */
export function newMessageId(): string {
  if (entropyOffset + 16 > entropy.length) {
    entropy = randomBytes(4096)
    entropyOffset = 0
  }
  const id = entropy.toString('base64url', entropyOffset, entropyOffset + 16)
  entropyOffset += 16
  return id
}

/**
 * Checks the envelope of an incoming message. Unknown versions, unknown kinds and malformed
 * numbers are protocol errors; the caller decides whether to drop or answer them.
 */
export function readEnvelope(headers: ReadonlyMap<string, string>): Envelope {
  const version = headers.get(wireHeader.version)
  if (version !== protocolVersion) throw protocolError(`unsupported protocol version ${JSON.stringify(version ?? null)} (this build speaks ${protocolVersion})`)
  const kind = headers.get(wireHeader.kind)
  if (kind === undefined || !kinds.has(kind)) throw protocolError(`unknown message kind ${JSON.stringify(kind ?? null)}`)
  const id = headers.get(wireHeader.id)
  if (id === undefined || id === '' || id.length > 128) throw protocolError('missing or oversized kipc-id')
  return {
    kind: kind as MessageKind,
    id,
    correlation: headers.get(wireHeader.correlation),
    replyTo: headers.get(wireHeader.replyTo),
    deadline: readInteger(headers, wireHeader.deadline),
    method: headers.get(wireHeader.method),
    path: headers.get(wireHeader.path),
    status: readInteger(headers, wireHeader.status),
    service: headers.get(wireHeader.service),
    seq: readInteger(headers, wireHeader.seq),
  }
}

function readInteger(headers: ReadonlyMap<string, string>, name: string): number | undefined {
  const text = headers.get(name)
  if (text === undefined) return undefined
  if (!/^\d{1,15}$/.test(text)) throw protocolError(`${name} must be a non-negative integer, got ${JSON.stringify(text.slice(0, 40))}`)
  return Number(text)
}

function protocolError(message: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_PROTOCOL_ERROR', `Malformed kafka-ipc message: ${message}.`)
}

/**
 * The application's headers from a received message: envelope headers (`kipc-*`) removed,
 * returned as a prototype-free object.
 */
export function userHeaders(headers: ReadonlyMap<string, string>): Record<string, string> {
  const result = Object.create(null) as Record<string, string>
  for (const [name, value] of headers) {
    if (!name.startsWith('kipc-')) result[name] = value
  }
  return result
}

/**
 * Checks and lowercases headers an application wants to send: names must be HTTP tokens, not
 * start with `kipc-`, and stay within {@link headerLimits}.
 */
export function checkOutgoingHeaders(headers: Readonly<Record<string, string>> | undefined): WireHeaders {
  const result: WireHeaders = new Map()
  if (headers === undefined) return result
  const entries = Object.entries(headers)
  if (entries.length > headerLimits.maxCount) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `At most ${headerLimits.maxCount} headers may be sent, got ${entries.length}.`)
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase()
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || name.length > headerLimits.maxNameLength) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Header name ${JSON.stringify(rawName.slice(0, 40))} is not a valid token.`)
    }
    if (name.startsWith('kipc-')) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Header ${name} is reserved for the kafka-ipc envelope.`)
    if (typeof value !== 'string' || Buffer.byteLength(value) > headerLimits.maxValueLength) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Header ${name} must be a string of at most ${headerLimits.maxValueLength} bytes (UTF-8).`)
    }
    result.set(name, value)
  }
  return result
}

/** Formats an inbox address for kipc-reply-to: `topic:partition`. */
export function formatAddress(topic: string, partition: number): string {
  return `${topic}:${partition}`
}

/** Parses a kipc-reply-to address; undefined when malformed. */
export function parseAddress(address: string): { topic: string; partition: number } | undefined {
  const match = /^([a-zA-Z0-9._-]{1,249}):(\d{1,6})$/.exec(address)
  if (match?.[1] === undefined || match[2] === undefined) return undefined
  return { topic: match[1], partition: Number(match[2]) }
}
