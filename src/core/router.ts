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

  /** Number of routes. */
  get size(): number {
    return this.#routes.length
  }

  add(method: string, path: string, value: T): void {
    this.#routes.push({ method, segments: path.split('/').filter((s) => s !== ''), value })
    this.#routes.sort((a, b) => specificity(b) - specificity(a))
  }

  /** True when some route has this method and exactly this path pattern. */
  has(method: string, path: string): boolean {
    const segments = path.split('/').filter((s) => s !== '').join('/')
    return this.#routes.some((route) => route.method === method && route.segments.join('/') === segments)
  }

  match(method: string, path: string): { value: T; params: Record<string, string> } | undefined {
    const parts = path.split('/').filter((s) => s !== '')
    for (const route of this.#routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue
      const params = nullRecord<string>()
      let matched = true
      for (let i = 0; i < parts.length && matched; i++) {
        const pattern = route.segments[i] ?? ''
        const part = parts[i] ?? ''
        if (pattern.startsWith(':')) {
          try {
            params[pattern.slice(1)] = decodeURIComponent(part)
          } catch {
            matched = false
          }
        } else if (pattern !== part) matched = false
      }
      if (matched) return { value: route.value, params }
    }
    return undefined
  }
}

function specificity(route: CompiledRoute<unknown>): number {
  return route.segments.reduce((score, segment) => score * 2 + (segment.startsWith(':') ? 0 : 1), 1)
}
