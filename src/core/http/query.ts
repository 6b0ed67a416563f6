import { KafkaIpcError } from '../kafka-ipc-error.ts'

type QueryValue = string | number | boolean
/** A query string as a caller gives it: an object (arrays repeat the key), `URLSearchParams`, or text. */
export type QueryInit = Readonly<Record<string, QueryValue | readonly QueryValue[] | undefined>> | URLSearchParams | string

/** The longest query string a request may carry, in characters (as a `kipc-query` header value). */
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
  if (text.length > maxQueryLength) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `The query string is ${text.length} characters; at most ${maxQueryLength} may be sent.`)
  return text === '' ? undefined : text
}
