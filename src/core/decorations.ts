import { KafkaIpcError } from './kafka-ipc-error.ts'

/**
 * What a service carries for its handlers and hooks — a database pool, a configuration — added
 * with `service.decorate(name, value)` (by a plugin, typically) and read as `context.decorations`
 * in every handler. Empty here: declare your own by augmenting it, so they are typed where read.
 *
 * @example
 * ```ts
 * declare module 'kafka-ipc' {
 *   interface Decorations {
 *     db: Pool
 *   }
 * }
 * app.decorate('db', new Pool())
 * app.handle(quote, async (request, context) => context.decorations.db.query('…'))
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface Decorations {}

/** The decorations as handlers read them: the declared ones typed, any other name `unknown`. */
export type DecorationValues = Decorations & Readonly<Record<string, unknown>>

/** The type a decoration of `Name` must have: the declared one, else anything. */
export type DecorationValue<Name extends string> = Name extends keyof Decorations ? Decorations[Name] : unknown

/** Names a decoration may not take: they would reach an object's prototype. */
const forbidden = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * The decorations of one service: each name set once, before the service listens, into an object
 * without a prototype that every handler context shares (nothing is built per message).
 *
 * @example
 * ```ts
 * const table = new DecorationTable('pricing')
 * table.set('db', pool)
 * table.values.db // pool
 * ```
 */
export class DecorationTable {
  readonly #owner: string
  readonly values: DecorationValues = Object.create(null) as DecorationValues

  /** @param owner the service, named in errors. */
  constructor(owner: string) {
    this.#owner = owner
  }

  set(name: string, value: unknown): void {
    if (typeof name !== 'string' || name === '' || forbidden.has(name)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${this.#owner}: ${JSON.stringify(name)} cannot name a decoration.`)
    if (Object.hasOwn(this.values, name)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${this.#owner} already has a decoration named ${name}.`)
    ;(this.values as Record<string, unknown>)[name] = value
  }
}
