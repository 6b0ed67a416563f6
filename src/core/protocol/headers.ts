import { Buffer } from 'node:buffer'
import { BoundedMemo } from '../bounded-memo.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { nullRecord } from '../null-record.ts'

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

/**
 * Whether a header name belongs to the envelope: `kipc-*`, and `kipc`, the packed envelope's
 * header (docs/protocol.md §2). An application may neither send nor see these.
 *
 * @example
 * ```ts
 * isEnvelopeHeader('kipc-kind') // true
 * isEnvelopeHeader('x-tenant')  // false
 * ```
 */
export function isEnvelopeHeader(name: string): boolean {
  return name.startsWith('kipc') && (name.length === 4 || name.charCodeAt(4) === 0x2d)
}

/**
 * The application's headers from a received message: envelope headers (`kipc-*`, `kipc`) removed,
 * returned as a prototype-free object ({@link nullRecord}) — with `impliedContentType` as its
 * `content-type` when the record carried none (the codec's type of a body sent untyped,
 * `impliedContentType()` in bodies.ts).
 */
export function userHeaders(headers: ReadonlyMap<string, string>, impliedContentType?: string): Record<string, string> {
  const result = nullRecord<string>()
  filling = result
  // forEach with a module-level callback: no entry array per header, no closure per message.
  headers.forEach(keepUserHeader)
  filling = noRecord
  if (impliedContentType !== undefined) result['content-type'] ??= impliedContentType
  return result
}

const noRecord = nullRecord<string>()
let filling = noRecord

function keepUserHeader(value: string, name: string): void {
  if (!isEnvelopeHeader(name)) filling[name] = value
}

/**
 * Checks and lowercases headers an application wants to send: names must be HTTP tokens, not
 * be the envelope's (`kipc`, `kipc-*`), and stay within {@link headerLimits}.
 */
export function checkOutgoingHeaders(headers: Readonly<Record<string, string>> | undefined): WireHeaders {
  const result: WireHeaders = new Map()
  if (headers === undefined) return result
  // Keys, not entries: no pair array per header on every call that sends one.
  const names = Object.keys(headers)
  if (names.length > headerLimits.maxCount) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `At most ${headerLimits.maxCount} headers may be sent, got ${names.length}.`)
  for (const rawName of names) {
    const name = checkedNames.get(rawName)
    const value = headers[rawName]
    // A string's UTF-8 takes at most three bytes per UTF-16 unit: most values need no count.
    if (typeof value !== 'string' || (value.length * 3 > headerLimits.maxValueLength && Buffer.byteLength(value) > headerLimits.maxValueLength)) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Header ${name} must be a string of at most ${headerLimits.maxValueLength} bytes (UTF-8).`)
    }
    result.set(name, value)
  }
  return result
}

/**
 * Header names checked before, as the application wrote them, and their lower-case form: the
 * same few names come with every call. Only valid names are kept (an invalid one throws), at most
 * 1024; past that, names are checked each time.
 */
const checkedNames = new BoundedMemo(checkName, { limit: 1024 })

/** `rawName` lower-cased, once checked to be an HTTP token of bounded length and not the envelope's. */
function checkName(rawName: string): string {
  const name = rawName.toLowerCase()
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || name.length > headerLimits.maxNameLength) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Header name ${JSON.stringify(rawName.slice(0, 40))} is not a valid token.`)
  }
  if (isEnvelopeHeader(name)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Header ${name} is reserved for the kafka-ipc envelope.`)
  return name
}
