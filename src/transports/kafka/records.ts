import type { Message } from '@platformatic/kafka'
import type { IncomingMessage } from '../../core/transport.ts'
import { emptyHeaders, headerLimits, type WireHeaders } from '../../core/wire.ts'

/** How records are turned into bytes on the way out: keys and headers as UTF-8, values as given. */
export const producerSerializers = {
  key: (key?: string): Buffer | undefined => (key === undefined ? undefined : Buffer.from(key)),
  value: (value?: Uint8Array): Buffer | undefined => (value === undefined ? undefined : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
  headerKey: (name?: string): Buffer | undefined => (name === undefined ? undefined : Buffer.from(name)),
  headerValue: (value?: string): Buffer | undefined => (value === undefined ? undefined : Buffer.from(value)),
}

/** Keys and values stay Buffers on the way in; headers are decoded by {@link decodeHeaders}. */
export const rawDeserializers = {
  key: (data?: Buffer): Buffer | undefined => data,
  value: (data?: Buffer): Buffer | undefined => data,
  headerKey: (data?: Buffer): Buffer | undefined => data,
  headerValue: (data?: Buffer): Buffer | undefined => data,
}

/**
 * Decodes untrusted record headers into a prototype-free object: at most maxCount +
 * envelopeAllowance headers, oversized names or values skipped, the first of duplicate names kept.
 */
export function decodeHeaders(entries: Iterable<readonly [Buffer | null | undefined, Buffer | null | undefined]>): WireHeaders {
  const headers = emptyHeaders()
  let count = 0
  for (const [name, value] of entries) {
    if (name == null || count >= headerLimits.maxCount + headerLimits.envelopeAllowance) continue
    if (name.length > headerLimits.maxNameLength || (value?.length ?? 0) > headerLimits.maxValueLength) continue
    const key = name.toString('utf8').toLowerCase()
    if (key in headers) continue
    headers[key] = value == null ? '' : value.toString('utf8')
    count++
  }
  return headers
}

/** A consumed record in the transport-neutral shape. */
export function toIncoming(message: Message<Buffer | undefined, Buffer | undefined, Buffer | undefined, Buffer | undefined>): IncomingMessage {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key === undefined || message.key.length === 0 ? undefined : message.key.toString('utf8'),
    headers: decodeHeaders(message.headerEntries),
    value: message.value ?? new Uint8Array(0),
    timestamp: Number(message.timestamp),
  }
}
