/**
 * An empty record with no prototype — names from the wire (`__proto__`, `constructor`) are plain
 * entries in it, and nothing is inherited — that V8 keeps in fast mode. `Object.create(null)`
 * makes the same object in dictionary mode: a hash table of its own, about five times the
 * memory, made for every request whose headers or path parameters it holds
 * (docs/performance.md). A record made here gets its entries by assignment, never by a spread
 * or `Object.assign` onto a plain object.
 *
 * @example
 * ```ts
 * const headers = nullRecord<string>()
 * headers['__proto__'] = 'just a name' // an own entry; no prototype changes
 * Object.getPrototypeOf(headers) // null
 * ```
 */
export function nullRecord<T>(): Record<string, T> {
  const record: Record<string, T> = {}
  Object.setPrototypeOf(record, null)
  return record
}
