import { Buffer } from 'node:buffer'
import { type Codec, jsonCodec } from './codec.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'

/**
 * How a body travels, chosen per message by its `content-type` (docs/protocol.md §1): the policy's
 * codec when the type is absent or the codec's own, JSON for `application/json` and `…+json`,
 * UTF-8 text for `text/*`, and bytes as they are for anything else.
 */
export type BodyFormat = 'codec' | 'json' | 'text' | 'bytes'

/** The media type of a `content-type` value: lowercase, parameters (`; charset=…`) removed. */
export function mediaType(contentType: string): string {
  const end = contentType.indexOf(';')
  return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase()
}

/**
 * Which format a `content-type` names.
 *
 * @example
 * ```ts
 * bodyFormat('text/plain; charset=utf-8', jsonCodec) // 'text'
 * bodyFormat('application/problem+json', jsonCodec) // 'json'
 * bodyFormat('image/png', jsonCodec) // 'bytes'
 * ```
 */
export function bodyFormat(contentType: string | undefined, codec: Codec): BodyFormat {
  // The fast path of every JSON message: the codec's own type, exactly as it is written.
  if (contentType === undefined || contentType === codec.contentType) return 'codec'
  const media = mediaType(contentType)
  if (media === mediaType(codec.contentType)) return 'codec'
  if (media === 'application/json' || media.endsWith('+json')) return 'json'
  if (media.startsWith('text/')) return 'text'
  return 'bytes'
}

/** A body ready for the record value, and the `content-type` it travels with (none for no body, unless one was given). */
export interface EncodedBody {
  readonly value: Uint8Array
  readonly contentType: string | undefined
}

/**
 * Encodes a body for the wire. No body (`undefined`) is a zero-length value, typed only when a type is given. Bytes (`Uint8Array`, `Buffer`, `ArrayBuffer`) go as they are
 * (`application/octet-stream` unless a type is given); a string goes as UTF-8 text when the given
 * type is not JSON; everything else is encoded by the codec (or as JSON for a `…+json` type).
 *
 * @example
 * ```ts
 * encodeBody('hello', 'text/plain', jsonCodec) // { value: <68 65 6c 6c 6f>, contentType: 'text/plain' }
 * encodeBody({ price: 1 }, undefined, jsonCodec) // JSON, 'application/json'
 * ```
 */
export function encodeBody(body: unknown, contentType: string | undefined, codec: Codec): EncodedBody {
  // No body, no type: an HTTP app reads a content-type on an empty request as a malformed body.
  if (body === undefined) return { value: empty, contentType }
  if (body instanceof Uint8Array) return { value: body, contentType: contentType ?? 'application/octet-stream' }
  if (body instanceof ArrayBuffer) return { value: new Uint8Array(body), contentType: contentType ?? 'application/octet-stream' }
  const format = bodyFormat(contentType, codec)
  if (format === 'codec') return { value: codec.encode(body), contentType: contentType ?? codec.contentType }
  if (format === 'json') return { value: jsonCodec.encode(body), contentType: contentType ?? jsonCodec.contentType }
  if (typeof body === 'string') return { value: Buffer.from(body), contentType }
  throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A body sent as ${JSON.stringify(contentType)} must be a string or bytes, got ${body === null ? 'null' : typeof body}.`)
}

const empty = new Uint8Array(0)
const textDecoder = new TextDecoder('utf-8')

/**
 * Decodes a record value by its `content-type`: the codec's (or JSON's) value, a string for
 * `text/*`, the bytes themselves otherwise. A zero-length value is no body (`undefined`) in every
 * format. A JSON body that does not parse throws `KIPC_PROTOCOL_ERROR`.
 *
 * @example
 * ```ts
 * decodeBody(Buffer.from('hi'), 'text/plain', jsonCodec) // 'hi'
 * ```
 */
export function decodeBody(value: Uint8Array, contentType: string | undefined, codec: Codec): unknown {
  if (value.byteLength === 0) return undefined
  switch (bodyFormat(contentType, codec)) {
    case 'codec':
      return codec.decode(value)
    case 'json':
      return jsonCodec.decode(value)
    case 'text':
      return textDecoder.decode(value)
    case 'bytes':
      return value
  }
}

/**
 * The `content-type` a reader puts back when a sender left it unwritten: a record with a body and
 * no type is read as the codec's (docs/protocol.md §1), so its headers say so — a handler, a hook,
 * `request()` and `fetch()` see `content-type: application/json` on a JSON body, as they would
 * over HTTP, whether or not the record carried the header. Undefined when the record has a type
 * or no body. The record's own headers stay as they came: the type is added where an application
 * reads them (`userHeaders`), so the hot path adds no entry to a map.
 *
 * @example
 * ```ts
 * userHeaders(message.headers, impliedContentType(message.headers, message.value.byteLength > 0, policy.codec))
 * // { 'content-type': 'application/json', … } for a JSON body sent untyped
 * ```
 */
export function impliedContentType(headers: ReadonlyMap<string, string>, hasBody: boolean, codec: Codec): string | undefined {
  return hasBody && !headers.has('content-type') ? codec.contentType : undefined
}
