import { BoundedMemo } from '../bounded-memo.ts'
import type { EnvelopeFields } from './envelope.ts'

/**
 * The packed form of the envelope (docs/protocol.md §2, policy.envelope): every `kipc-*` field in
 * one `kipc` header, as `name=value` pairs joined by `;`, the `kipc-` prefix dropped —
 * `v=1;kind=request;id=Xq3v…;reply-to=kipc.inbox.checkout.k2x9;deadline=1764748800000;method=POST;path=/quotes`.
 * Still text a plain Kafka tool shows and writes; one header instead of nine, which is what the
 * Kafka client library spends most on per record (docs/decisions/0012-a-packed-envelope-header.md).
 *
 * A value's `%`, `;` and control characters are written as `%XX` (two hex digits of the UTF-16
 * code unit, below 0x100), so no value can end its pair early; other characters pass unchanged.
 * Readers take both forms, and a field given twice keeps its first value.
 *
 * @example
 * ```ts
 * const packed = packedText(headers) // 'v=1;kind=event;…'
 * unpackEnvelope(packed, decoded, 80) // decoded.get('kipc-kind') === 'event'
 * ```
 */
export const packedEnvelopeHeader = 'kipc'

const prefix = 'kipc-'
/** A field name in a packed envelope: lower-case letters and dashes, as the separate headers' names. */
const fieldName = /^[a-z][a-z-]{0,31}$/

/**
 * The fields of the envelope (docs/protocol.md §2) by their packed names, in the order
 * {@link readPackedFields} fills them.
 */
export const envelopeFieldNames = ['v', 'kind', 'id', 'correlation', 'reply-to', 'deadline', 'method', 'path', 'query', 'status', 'service', 'seq', 'stream', 'window'] as const

/** Full header names of the fields packed envelopes carry, so unpacking makes no new name strings. */
const knownNames = new Map<string, string>(envelopeFieldNames.map((short) => [short, `${prefix}${short}`]))

/** The same fields' names as separate headers (`kipc-v`, `kipc-kind`, …), by the same index. */
export const envelopeHeaderNames: readonly string[] = [...knownNames.values()]

/**
 * The packed text of the envelope of `headers`: the text of a `kipc` entry (a record buildMessage
 * built carries it), then each separate `kipc-*` entry as a pair, in order — so that a packed
 * field comes before a separate one of the same name and wins; undefined when there is none. Only
 * records not built by buildMessage (dead letters, replies stored by an older version) have
 * separate entries to pack.
 */
export function packedText(headers: ReadonlyMap<string, string>): string | undefined {
  let text = headers.get(packedEnvelopeHeader)
  for (const [name, value] of headers) {
    if (!name.startsWith(prefix)) continue
    const pair = `${name.slice(prefix.length)}=${escaped(value)}`
    text = text === undefined ? pair : `${text};${pair}`
  }
  return text
}

/**
 * The packed envelope of one outgoing record, as the text of its `kipc` header: written once where
 * the record is built, in the fields' wire order, so that no record carries a header per field
 * on its way to the transport. Free-text values are escaped; numbers and kinds need not be.
 *
 * @example
 * ```ts
 * packFields('1', 'event', 'Xq3v', { service: 'billing' }) // 'v=1;kind=event;id=Xq3v;service=billing'
 * ```
 */
export function packFields(version: string, kind: string, id: string, fields: EnvelopeFields): string {
  // The fields whose values repeat from message to message — a route's method, path and service,
  // the caller's inbox, a status — come as `;name=value` pairs escaped once and kept: a request's
  // envelope is a handful of concatenations instead of a dozen, and no value is scanned twice.
  let text = `${kindPrefixes.get(version).get(kind)}${escaped(id)}`
  if (fields.correlation !== undefined) text += `;correlation=${escaped(fields.correlation)}`
  if (fields.replyTo !== undefined) text += replyToPairs.get(fields.replyTo)
  if (fields.deadline !== undefined) text += `;deadline=${String(fields.deadline)}`
  if (fields.method !== undefined) text += methodPairs.get(fields.method)
  if (fields.path !== undefined) text += pathPairs.get(fields.path)
  if (fields.query !== undefined && fields.query !== '') text += `;query=${escaped(fields.query)}`
  if (fields.status !== undefined) text += statusPairs.get(fields.status)
  if (fields.service !== undefined) text += servicePairs.get(fields.service)
  if (fields.seq !== undefined) text += `;seq=${String(fields.seq)}`
  if (fields.stream !== undefined) text += `;stream=${fields.stream}`
  if (fields.window !== undefined) text += `;window=${String(fields.window)}`
  return text
}

/**
 * Most values kept per repeating field, and the longest value kept: past either (a path per
 * request, say, or a long one from a gateway's caller) pairs are made each time, so what is kept
 * stays under a megabyte a field whatever the callers send.
 */
const maxRepeatingValues = 1024
const maxRepeatingLength = 256

/** A field's `;name=value` pairs, its value escaped, made once for each of its values. */
function pairsOf(name: string): BoundedMemo<string, string> {
  return new BoundedMemo((value: string) => `;${name}=${escaped(value)}`, { limit: maxRepeatingValues, keeps: (value) => value.length <= maxRepeatingLength })
}

const replyToPairs = pairsOf('reply-to')
const methodPairs = pairsOf('method')
const pathPairs = pairsOf('path')
const servicePairs = pairsOf('service')
const statusPairs = new BoundedMemo((status: number) => `;status=${String(status)}`, { limit: maxRepeatingValues })

/** `v=<version>;kind=<kind>;id=`, the start of every packed envelope, made once per version and kind. */
const kindPrefixes = new BoundedMemo(
  (version: string) => new BoundedMemo((kind: string) => `v=${version};kind=${kind};id=`, { limit: maxRepeatingValues }),
  { limit: maxRepeatingValues },
)

/**
 * Adds the fields of a packed envelope to `into` as `kipc-*` headers — untrusted text: pairs
 * without a name, names that are not lower-case letters and dashes, and bad escapes are skipped,
 * a field already in `into` keeps its value, and at most `limit` headers are added. Returns how
 * many were added.
 */
export function unpackEnvelope(packed: string, into: Map<string, string>, limit: number): number {
  let added = 0
  // Walked with indexOf rather than split: no array, and one string per name and per value.
  for (let start = 0; start <= packed.length && added < limit; ) {
    let end = packed.indexOf(';', start)
    if (end === -1) end = packed.length
    const at = packed.indexOf('=', start)
    if (at > start && at < end) {
      const short = packed.slice(start, at)
      const name = knownNames.get(short) ?? (fieldName.test(short) ? `${prefix}${short}` : undefined)
      if (name !== undefined && !into.has(name)) {
        const raw = packed.slice(at + 1, end)
        const value = raw.includes('%') ? unescape(raw) : raw
        if (value !== undefined) {
          into.set(name, value)
          added++
        }
      }
    }
    start = end + 1
  }
  return added
}


/** The last value read of each field whose values repeat from record to record (by its index). */
const lastRead: (string | undefined)[] = envelopeFieldNames.map(() => undefined)

/** Which fields' values repeat: the version, the kind, the inbox answers go to, the route, the status, the service. */
const repeats: readonly boolean[] = envelopeFieldNames.map((name) => ['v', 'kind', 'reply-to', 'method', 'path', 'status', 'service', 'stream'].includes(name))

/** The indexes of the fields by the length of their names: a name is matched where it stands, never cut out. */
const fieldsByLength: number[][] = []
envelopeFieldNames.forEach((name, index) => {
  ;(fieldsByLength[name.length] ??= []).push(index)
})

/** The index of the field named `packed[start, at)`, or -1. Indexed loops: no iterator or pair per candidate on every record. */
function fieldAt(packed: string, start: number, at: number): number {
  const candidates = fieldsByLength[at - start]
  if (candidates === undefined) return -1
  for (let next = 0; next < candidates.length; next++) {
    const index = candidates[next] ?? -1
    if (packed.startsWith(envelopeFieldNames[index] ?? '', start)) return index
  }
  return -1
}

/**
 * Reads the envelope's own fields out of a packed envelope into `into`, by their index in
 * {@link envelopeFieldNames} — untrusted text, read by the rules of {@link unpackEnvelope}: a
 * field given twice keeps its first value, a bad escape is skipped — without a header map of
 * them: the reader of every record takes its envelope straight from the text. Other fields (a
 * dead letter's) are left to {@link envelopeField}. `into` is cleared first.
 *
 * @example
 * ```ts
 * const fields: (string | undefined)[] = []
 * readPackedFields('v=1;kind=event;id=a', fields) // fields: ['1', 'event', 'a', undefined, …]
 * ```
 */
export function readPackedFields(packed: string, into: (string | undefined)[]): void {
  for (let index = 0; index < envelopeFieldNames.length; index++) into[index] = undefined
  // Most envelopes have no escape at all: one look at the whole text instead of one per value.
  const escapes = packed.includes('%')
  for (let start = 0; start <= packed.length; ) {
    let end = packed.indexOf(';', start)
    if (end === -1) end = packed.length
    const at = packed.indexOf('=', start)
    if (at > start && at < end) {
      const index = fieldAt(packed, start, at)
      if (index !== -1 && into[index] === undefined) {
        // A value like the one this field had last time is that string again: no new string per
        // record, and whoever looks it up next (the route, the inbox, the kind) finds its hash made.
        const last = lastRead[index]
        if (last !== undefined && last.length === end - at - 1 && packed.startsWith(last, at + 1)) into[index] = last
        else {
          const raw = packed.slice(at + 1, end)
          const value = escapes && raw.includes('%') ? unescape(raw) : raw
          into[index] = value
          // Only from an envelope of a usual size: a value cut from a huge one would keep it alive.
          if (value === raw && repeats[index] === true && packed.length <= maxRepeatingLength * 4) lastRead[index] = raw
        }
      }
    }
    start = end + 1
  }
}

/**
 * Headers with a packed envelope opened up: its fields as `kipc-*` entries where the `kipc` entry
 * was, the rest in order, the first of duplicate names kept — what a reader of the record on the
 * wire gets. A transport that hands records over without encoding them (the memory transport)
 * delivers this.
 *
 * @example
 * ```ts
 * unpackedHeaders(new Map([['kipc', 'v=1;kind=event;id=a'], ['x-tenant', 't1']])).get('kipc-kind') // 'event'
 * ```
 */
export function unpackedHeaders(headers: ReadonlyMap<string, string>): Map<string, string> {
  const result = new Map<string, string>()
  for (const [name, value] of headers) {
    if (name === packedEnvelopeHeader) unpackEnvelope(value, result, Number.POSITIVE_INFINITY)
    else if (!result.has(name)) result.set(name, value)
  }
  return result
}

/**
 * One envelope field of a record's headers, packed or not — sent or received: the field inside
 * the packed `kipc` entry, else a separate `kipc-*` entry (a packed field wins, as it does for
 * every reader, docs/protocol.md §2). Received headers are as the record carried them, so this is
 * how to read an envelope field, a dead letter's `kipc-dlt-*` included, from an
 * `IncomingMessage` of the Transport API. For readers off the hot path (logs, spans, tools).
 *
 * @example
 * ```ts
 * envelopeField(message.headers, 'kipc-id') // 'Xq3v…'
 * envelopeField(letter.headers, 'kipc-dlt-reason') // 'failed'
 * ```
 */
export function envelopeField(headers: ReadonlyMap<string, string>, name: string): string | undefined {
  const packed = headers.get(packedEnvelopeHeader)
  if (packed !== undefined) {
    const fields = new Map<string, string>()
    unpackEnvelope(packed, fields, Number.POSITIVE_INFINITY)
    const found = fields.get(name)
    if (found !== undefined) return found
  }
  return headers.get(name)
}

/** `value` with its `%`, `;` and control characters as `%XX`; most values have none and come back as they are. */
function escaped(value: string): string {
  let index = 0
  while (index < value.length && !mustEscape(value.charCodeAt(index))) index++
  if (index === value.length) return value
  let result = value.slice(0, index)
  for (; index < value.length; index++) {
    const code = value.charCodeAt(index)
    result += mustEscape(code) ? `%${code.toString(16).padStart(2, '0').toUpperCase()}` : value.charAt(index)
  }
  return result
}

function mustEscape(code: number): boolean {
  return code < 0x20 || code === 0x7f || code === 0x25 || code === 0x3b
}

/** `%XX` back to its character; undefined when an escape is malformed. */
function unescape(text: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return undefined
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}
