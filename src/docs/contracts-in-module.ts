import type { AnyContract } from '../core/contracts.ts'

/**
 * The contracts a module exports: each exported value that is a contract, and the contracts held
 * in an exported array or plain object (`export const contracts = { quote, booked }`), one level
 * deep, each once, in the order of the exports (a module namespace lists them by name).
 *
 * @example
 * ```ts
 * contractsIn(await import('./contracts.ts')) // [quote, searchFares, holdSeats, …]
 * ```
 */
export function contractsIn(moduleExports: Readonly<Record<string, unknown>>): AnyContract[] {
  const found = new Set<AnyContract>()
  for (const value of Object.values(moduleExports)) {
    if (isContract(value)) found.add(value)
    else if (Array.isArray(value)) for (const item of value as unknown[]) addIfContract(found, item)
    else if (isPlainObject(value)) for (const item of Object.values(value)) addIfContract(found, item)
  }
  return [...found]
}

function addIfContract(found: Set<AnyContract>, value: unknown): void {
  if (isContract(value)) found.add(value)
}

/**
 * Whether `value` has a contract's shape, as route(), stream(), event() and gather() make them.
 *
 * @example
 * ```ts
 * isContract(route('pricing', 'POST /quotes')) // true
 * isContract({ kind: 'route' })                 // false
 * ```
 */
export function isContract(value: unknown): value is AnyContract {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  switch (candidate['kind']) {
    case 'route':
    case 'stream':
      return typeof candidate['service'] === 'string' && typeof candidate['method'] === 'string' && typeof candidate['path'] === 'string'
    case 'event':
    case 'gather':
      return typeof candidate['name'] === 'string'
    default:
      return false
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
