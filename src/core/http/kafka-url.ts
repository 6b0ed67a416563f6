import { BoundedMemo } from '../bounded-memo.ts'
import { checkServiceName } from '../contracts.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import { checkQueryLength } from './query.ts'

/** What a `kafka://` URL names: the service, the path and the query string (without `?`). */
export interface KafkaTarget {
  readonly service: string
  readonly path: string
  readonly query: string | undefined
}

/**
 * Reads a `kafka://<service>/<path>?<query>` URL. Any other scheme, a missing service, a port or
 * credentials are refused with `KIPC_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * parseKafkaUrl('kafka://pricing/quotes/EUR?to=JFK') // { service: 'pricing', path: '/quotes/EUR', query: 'to=JFK' }
 * ```
 */
export function parseKafkaUrl(url: string): KafkaTarget {
  return parsedTargets.get(url)
}

/**
 * URLs read before, and what they name: an application fetches the same few URLs again and again,
 * and parsing one (a `URL`, its parts each read out of it, the service name checked) costs about
 * as much as the rest of reading a fetch's arguments. Only valid URLs of up to 512 characters are
 * kept, and at most 1024 of them — past that (a query string per request, say) URLs are parsed
 * each time.
 */
const parsedTargets = new BoundedMemo((url: string): KafkaTarget => Object.freeze(parse(url)), { limit: 1024, keeps: (url) => url.length <= 512 })

function parse(url: string): KafkaTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${JSON.stringify(url.slice(0, 200))} is not a URL; fetch over Kafka takes kafka://<service>/<path>.`, { cause: error })
  }
  if (parsed.protocol !== 'kafka:') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `fetch over Kafka takes kafka://<service>/<path> URLs, not ${parsed.protocol}//.`)
  if (parsed.port !== '' || parsed.username !== '' || parsed.password !== '') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A kafka:// URL names a service, with no port or credentials: ${JSON.stringify(url.slice(0, 200))}.`)
  const service = checkServiceName(parsed.hostname)
  const query = parsed.search === '' ? undefined : parsed.search.slice(1)
  return { service, path: parsed.pathname === '' ? '/' : parsed.pathname, query: checkQueryLength(query === '' ? undefined : query) }
}
