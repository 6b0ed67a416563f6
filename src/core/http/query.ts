import { Buffer } from 'node:buffer'
import { KafkaIpcError } from '../kafka-ipc-error.ts'

type QueryValue = string | number | boolean
/** A query string as a caller gives it: an object (arrays repeat the key), `URLSearchParams`, or text. */
export type QueryInit = Readonly<Record<string, QueryValue | readonly QueryValue[] | undefined>> | URLSearchParams | string

/** The longest query string a request may carry, in bytes of UTF-8 (a header value, within the header limit). */
export const maxQueryLength = 8192

/**
 * Serializes a query for the `kipc-query` header, without the leading `?`; `undefined` values are
 * left out, and an empty query is none at all.
 *
 * @example
 * ```ts
 * queryString({ from: 'WAW', seat: ['1A', '1B'] }) // 'from=WAW&seat=1A&seat=1B'
 * ```
 */
export function queryString(query: QueryInit | undefined): string | undefined {
  if (query === undefined) return undefined
  let text: string
  if (typeof query === 'string') text = query.startsWith('?') ? query.slice(1) : query
  else if (query instanceof URLSearchParams) text = query.toString()
  else {
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) continue
      if (Array.isArray(value)) for (const item of value) params.append(name, String(item))
      else params.append(name, String(value))
    }
    text = params.toString()
  }
  return checkQueryLength(text === '' ? undefined : text)
}

/** Refuses a query string longer than {@link maxQueryLength} bytes: a longer header value would be dropped by readers. */
export function checkQueryLength(query: string | undefined): string | undefined {
  if (query === undefined) return undefined
  const bytes = Buffer.byteLength(query)
  if (bytes > maxQueryLength) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `The query string is ${bytes} bytes; at most ${maxQueryLength} may be sent.`)
  return query
}
