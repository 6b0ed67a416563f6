import { checkServiceName, type RouteSpec } from '../../core/contracts.ts'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { Router } from '../../core/router.ts'

/**
 * What a gateway exposes, per service: `'*'` for every route of the service, or a list of
 * `METHOD /path` patterns whose `:param` segments match any one segment. A service left out is
 * not reachable at all; a `GET` route also admits `HEAD`.
 *
 * @example
 * ```ts
 * const expose: Expose = { pricing: ['GET /quotes/:id', 'POST /quotes'], shop: '*' }
 * ```
 */
export type Expose = Readonly<Record<string, '*' | readonly RouteSpec[]>>

const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/**
 * The checked form of an {@link Expose} map: answers whether a method and path of a service may
 * be forwarded. It matches with the same router the services use, on the same undecoded path the
 * gateway forwards, so what it admits is exactly what the service will be asked.
 *
 * @example
 * ```ts
 * const allowlist = new Allowlist({ pricing: ['GET /quotes/:id'] })
 * allowlist.allows('pricing', 'GET', '/quotes/7') // true
 * allowlist.allows('pricing', 'DELETE', '/quotes/7') // false
 * ```
 */
export class Allowlist {
  readonly #services = new Map<string, { readonly router: Router<true>; readonly declared: number } | '*'>()

  constructor(expose: Expose) {
    // Checked though typed: it may come from a JSON config file.
    const given: unknown = expose
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `expose must be an object of service → '*' or a list of 'METHOD /path' routes, got ${JSON.stringify(expose)}.`)
    }
    for (const [service, routes] of Object.entries(expose)) {
      checkServiceName(service)
      if (routes === '*') {
        this.#services.set(service, '*')
        continue
      }
      if (!Array.isArray(routes)) {
        throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `expose.${service} must be '*' or a list of 'METHOD /path' routes, got ${JSON.stringify(routes)}.`)
      }
      const router = new Router<true>()
      for (const spec of routes as readonly unknown[]) {
        const { method, path } = parseRoute(service, spec)
        router.add(method, path, true)
        // HEAD is a GET without its body: a service answers HEAD on its GET routes.
        if (method === 'GET') router.add('HEAD', path, true)
      }
      this.#services.set(service, { router, declared: routes.length })
    }
  }

  /** True when `method path` of `service` is exposed. */
  allows(service: string, method: string, path: string): boolean {
    const routes = this.#services.get(service)
    if (routes === undefined) return false
    return routes === '*' || routes.router.match(method, path) !== undefined
  }

  /** The exposed services, for a log line: `pricing (2 routes), shop (*)`. */
  describe(): string {
    if (this.#services.size === 0) return 'nothing'
    return [...this.#services].map(([service, routes]) => (routes === '*' ? `${service} (*)` : `${service} (${String(routes.declared)} route${routes.declared === 1 ? '' : 's'})`)).join(', ')
  }
}

/**
 * Reads one `--expose` flag: `service=*` or `service=METHOD /path`, into an {@link Expose} merged
 * with `into` (a `'*'` wins over routes of the same service).
 *
 * @example
 * ```ts
 * let expose = addExposeFlag({}, 'pricing=GET /quotes/:id')
 * expose = addExposeFlag(expose, 'shop=*') // { pricing: ['GET /quotes/:id'], shop: '*' }
 * ```
 */
export function addExposeFlag(into: Expose, flag: string): Expose {
  const separator = flag.indexOf('=')
  if (separator <= 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `--expose takes service=* or service=METHOD /path, got ${JSON.stringify(flag)}.`)
  const service = checkServiceName(flag.slice(0, separator).trim())
  const spec = flag.slice(separator + 1).trim()
  const previous = into[service]
  if (spec === '*' || previous === '*') return { ...into, [service]: '*' }
  const { method, path } = parseRoute(service, spec)
  return { ...into, [service]: [...(previous ?? []), `${method} ${path}` as RouteSpec] }
}

function parseRoute(service: string, spec: unknown): { method: string; path: string } {
  const match = typeof spec === 'string' ? /^([A-Z]+) (\/[^\s?#]*)$/.exec(spec) : null
  if (match?.[1] === undefined || match[2] === undefined || !methods.has(match[1])) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `The exposed route ${JSON.stringify(spec)} of ${service} must look like 'GET /quotes/:id' (methods: ${[...methods].join(', ')}).`)
  }
  return { method: match[1], path: match[2] }
}
