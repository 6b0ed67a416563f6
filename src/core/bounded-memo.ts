/**
 * What a function made for the keys it was given before, kept for the few keys that come again
 * and again (header names, routes, inbox addresses, statuses, URLs) and never more than `limit`
 * of them: keys an application or a remote sender makes up per message (a path with an id in it,
 * a query string) would otherwise grow it without end. Past the limit, or for a key `keeps`
 * refuses, the value is made each time — made as it would have been, only not remembered.
 *
 * Nothing is ever removed, so the map behind it is only added to: a map whose entries come and go
 * is what ages into the old generation ([decision 0016](../../docs/decisions/0016-per-message-tables-without-maps.md)).
 * A `make` that throws keeps nothing: invalid input is checked again every time it comes.
 *
 * @example
 * ```ts
 * const lowerCased = new BoundedMemo((name: string) => name.toLowerCase(), { limit: 1024, keeps: (name) => name.length <= 256 })
 * lowerCased.get('Content-Type') // 'content-type', made once
 * ```
 */
export class BoundedMemo<K, V> {
  readonly #made = new Map<K, V>()
  readonly #make: (key: K) => V
  readonly #limit: number
  readonly #keeps: ((key: K) => boolean) | undefined

  /**
   * @param make what to keep for a key; may throw, and then nothing is kept.
   * @param options.limit most keys kept.
   * @param options.keeps whether a key is worth keeping (its length, say); every key when absent.
   */
  constructor(make: (key: K) => V, options: { readonly limit: number; readonly keeps?: (key: K) => boolean }) {
    this.#make = make
    this.#limit = options.limit
    this.#keeps = options.keeps
  }

  /** The value made for `key`: the kept one, or a new one (kept while there is room and `keeps` agrees). */
  get(key: K): V {
    const kept = this.#made.get(key)
    if (kept !== undefined) return kept
    return this.#makeAndKeep(key)
  }

  /** How many keys are kept. */
  get size(): number {
    return this.#made.size
  }

  #makeAndKeep(key: K): V {
    const value = this.#make(key)
    if (this.#made.size < this.#limit && (this.#keeps === undefined || this.#keeps(key))) this.#made.set(key, value)
    return value
  }
}
