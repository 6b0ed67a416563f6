import { nullRecord } from './null-record.ts'

/** A route pattern split into literal and `:param` segments. */
interface CompiledRoute<T> {
  readonly method: string
  readonly segments: readonly string[]
  readonly value: T
}

/**
 * Finds the handler for a method and path. Literal segments beat parameters, so
 * `GET /bookings/latest` wins over `GET /bookings/:id` whatever the registration order.
 */
export class Router<T> {
  readonly #routes: CompiledRoute<T>[] = []
  /**
   * Routes without parameters by method and path as written (`/quotes`): a path that is exactly
   * one of them is found with one lookup instead of a split and a scan — the most specific route
   * for its path, since a literal segment beats a parameter. Other spellings (`quotes/`) take the scan.
   */
  readonly #literal = new Map<string, Map<string, T>>()

  /** Number of routes. */
  get size(): number {
    return this.#routes.length
  }

  add(method: string, path: string, value: T): void {
    const segments = path.split('/').filter((s) => s !== '')
    this.#routes.push({ method, segments, value })
    this.#routes.sort((a, b) => specificity(b) - specificity(a))
    if (segments.some((segment) => segment.startsWith(':'))) return
    let byPath = this.#literal.get(method)
    if (byPath === undefined) {
      byPath = new Map()
      this.#literal.set(method, byPath)
    }
    // The first of two routes with one pattern wins, as in the scan (the sort keeps their order).
    const written = `/${segments.join('/')}`
    if (!byPath.has(written)) byPath.set(written, value)
  }

  /** True when some route has this method and exactly this path pattern. */
  has(method: string, path: string): boolean {
    const segments = path.split('/').filter((s) => s !== '').join('/')
    return this.#routes.some((route) => route.method === method && route.segments.join('/') === segments)
  }

  match(method: string, path: string): { value: T; params: Record<string, string> } | undefined {
    const literal = this.#literal.get(method)?.get(path)
    if (literal !== undefined) return { value: literal, params: nullRecord<string>() }
    const parts = path.split('/').filter((s) => s !== '')
    for (const route of this.#routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue
      // Made at the first parameter: a route that fails on a literal segment before it makes none.
      let params: Record<string, string> | undefined
      let matched = true
      for (let i = 0; i < parts.length && matched; i++) {
        const pattern = route.segments[i] ?? ''
        const part = parts[i] ?? ''
        if (pattern.startsWith(':')) {
          try {
            ;(params ??= nullRecord<string>())[pattern.slice(1)] = decodeURIComponent(part)
          } catch {
            matched = false
          }
        } else if (pattern !== part) matched = false
      }
      if (matched) return { value: route.value, params: params ?? nullRecord<string>() }
    }
    return undefined
  }
}

function specificity(route: CompiledRoute<unknown>): number {
  return route.segments.reduce((score, segment) => score * 2 + (segment.startsWith(':') ? 0 : 1), 1)
}
