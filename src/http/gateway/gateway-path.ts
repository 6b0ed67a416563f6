import { checkServiceName } from '../../core/contracts.ts'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'

/**
 * The folder under the base path where `Prefer: respond-async` results are polled. No service can
 * have this name: service names start with a letter or a digit.
 *
 * @example
 * ```ts
 * const location = `${basePath}/${resultsFolder}/${id}` // '/api/_results/Xq3…'
 * ```
 */
export const resultsFolder = '_results'

/**
 * What an HTTP request to the gateway asks for: a service's route, a stored result, or nothing
 * the gateway knows (outside the base path, or not a service name).
 *
 * @example
 * ```ts
 * const target: GatewayPath = readGatewayPath(new URL(request.url).pathname, '/api')
 * if (target.kind === 'forward') console.log(target.service, target.path)
 * ```
 */
export type GatewayPath = { readonly kind: 'forward'; readonly service: string; readonly path: string } | { readonly kind: 'result'; readonly id: string } | { readonly kind: 'none' }

/**
 * Checks and normalizes a base path: `''` (none), or `/segment[/segment…]` without a trailing
 * slash.
 *
 * @example
 * ```ts
 * normalizeBasePath('/api/') // '/api'
 * normalizeBasePath(undefined) // ''
 * ```
 */
export function normalizeBasePath(basePath: string | undefined): string {
  if (basePath === undefined || basePath === '' || basePath === '/') return ''
  if (typeof basePath !== 'string' || !/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+\/?$/.test(basePath)) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `basePath must look like '/api' (a path without query or fragment), got ${JSON.stringify(basePath)}.`)
  }
  return basePath.endsWith('/') ? basePath.slice(0, -1) : basePath
}

/**
 * Splits a request's path (as it arrived, still percent-encoded) into the service — its first
 * segment under the base path — and the path that service is asked for. The service keeps the
 * rest of the path undecoded, so the allowlist and the service see the same segments.
 *
 * @example
 * ```ts
 * readGatewayPath('/api/pricing/quotes/7', '/api') // { kind: 'forward', service: 'pricing', path: '/quotes/7' }
 * readGatewayPath('/api/_results/abc', '/api') // { kind: 'result', id: 'abc' }
 * ```
 */
export function readGatewayPath(pathname: string, basePath: string): GatewayPath {
  if (basePath !== '' && pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return { kind: 'none' }
  const rest = pathname.slice(basePath.length)
  const slash = rest.indexOf('/', 1)
  const first = rest.slice(1, slash === -1 ? undefined : slash)
  const path = slash === -1 ? '/' : rest.slice(slash)
  if (first === resultsFolder) {
    const id = /^\/([A-Za-z0-9_-]{1,128})$/.exec(path)?.[1]
    return id === undefined ? { kind: 'none' } : { kind: 'result', id }
  }
  try {
    return { kind: 'forward', service: checkServiceName(first), path }
  } catch {
    return { kind: 'none' }
  }
}
