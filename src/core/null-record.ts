import { inspect, type InspectOptionsStylized } from 'node:util'

/**
 * What every null record inherits: nothing. An empty, frozen object without a prototype of its
 * own — so no name reaches a record through it (`__proto__`, `constructor`, `toString` are plain
 * entries of the record, or absent) and nothing can be added to it. It carries one thing, out of
 * reach of string keys: logs show a record as they show `Object.create(null)`,
 * `[Object: null prototype] { … }`.
 */
const inheritsNothing: object = Object.freeze(
  Object.create(null, {
    [inspect.custom]: {
      value(this: object, depth: number, options: InspectOptionsStylized, show: typeof inspect): string {
        const copy = Object.assign(Object.create(null) as object, this)
        return show(copy, { ...options, depth: options.depth === null ? null : depth })
      },
    },
  }) as object,
)

/**
 * An empty record that inherits nothing — names from the wire (`__proto__`, `constructor`) are
 * plain entries in it — and that V8 keeps in fast mode, made cheaply. `Object.create(null)` makes
 * a dictionary-mode object (a hash table of its own, about five times the memory); an object
 * literal given a null prototype afterwards (`Object.setPrototypeOf`) is fast but costs a
 * prototype change per record, which under load made V8 redo the router's optimized code: 1.5 µs
 * per request in a responder's profile (docs/performance.md). A record made here is an object
 * whose prototype is one shared, frozen, empty object without a prototype. It gets its entries by
 * assignment, never by a spread or `Object.assign` onto a plain object.
 *
 * @example
 * ```ts
 * const headers = nullRecord<string>()
 * headers['__proto__'] = 'just a name' // an own entry; no prototype changes
 * 'toString' in headers // false
 * isNullRecord(headers) // true
 * ```
 */
export function nullRecord<T>(): Record<string, T> {
  return Object.create(inheritsNothing) as Record<string, T>
}

/**
 * Whether `value` was made by {@link nullRecord}: a record that inherits nothing.
 *
 * @example
 * ```ts
 * isNullRecord(nullRecord()) // true
 * isNullRecord({}) // false
 * ```
 */
export function isNullRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === inheritsNothing
}
