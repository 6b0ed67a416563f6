import type { Environment } from './environment.ts'
import { KafkaIpcError } from './kafka-ipc-error.ts'
import { isLogLevel, levelValues, type Logger, type LogLevel } from './logger.ts'

/**
 * What a log line is about, each with a level of its own (docs/operations.md#logging):
 * - `messages`: one `debug` line per record a service handles and per call, stream, gather and
 *   emit a client makes — off unless a level of `debug` (or `trace`) is set for it;
 * - `failures`: handler failures, dropped records, undeliverable answers ({@link logFailures});
 * - `connection`: waiting for the broker, a channel stopped and consuming again;
 * - `lifecycle`: a service listening and closed, shutdown on signals, inboxes of dead instances deleted.
 *
 * @example
 * ```ts
 * const concern: LogConcern = 'messages'
 * ```
 */
export type LogConcern = 'messages' | 'failures' | 'connection' | 'lifecycle'

/**
 * Every concern, in the order the docs list them.
 *
 * @example
 * ```ts
 * const quiet: LogLevels = Object.fromEntries(logConcernNames.map((concern) => [concern, 'warn']))
 * ```
 */
export const logConcernNames: readonly LogConcern[] = ['messages', 'failures', 'connection', 'lifecycle']

/**
 * A level per concern: a line of that concern is written when its level is at least this one. A
 * concern left out follows the logger's own level, except `messages`, which stays off.
 *
 * @example
 * ```ts
 * const levels: LogLevels = { messages: 'debug', connection: 'warn' }
 * createService({ name: 'pricing', logger: pino(), logLevels: levels })
 * ```
 */
export type LogLevels = { readonly [C in LogConcern]?: LogLevel }

/**
 * The logger of one concern: every line carries `concern`, and lines below the concern's level
 * are not written (nor passed on). Through a logger with `child()` (pino), it is a child bound to
 * `{ concern }`, given the concern's level when one is set, so pino writes what was asked for even
 * above its own level; otherwise `concern` is added to each line's details.
 *
 * @example
 * ```ts
 * const { lifecycle } = logConcerns(pino(), { lifecycle: 'warn' })
 * if (lifecycle.isEnabled('info')) lifecycle.info({ service: 'pricing' }, 'pricing: listening')
 * ```
 */
export interface ConcernLogger extends Logger {
  readonly concern: LogConcern
  /** The level set for the concern; undefined when it follows the logger's. */
  readonly level: LogLevel | undefined
  /** Whether a line at `level` is written: asked once, not per line, by what would build many. */
  isEnabled(level: 'debug' | 'info' | 'warn' | 'error'): boolean
  /** A line at `debug`: through the logger's `debug`, or its `info` when it has none. */
  debug(details: object, message: string): void
}

/**
 * The four concerns' loggers of one client or service.
 *
 * @example
 * ```ts
 * const logs: LogConcerns = logConcerns(pino(), { messages: 'debug' })
 * logs.messages.isEnabled('debug') // true
 * ```
 */
export type LogConcerns = { readonly [C in LogConcern]: ConcernLogger }

/**
 * The concern loggers over `logger`, at the levels `levels` sets — and the environment, which an
 * operator changes without a new build: `$KIPC_LOG_LEVEL` sets every concern, `levels` overrides
 * it, `$KIPC_LOG_LEVELS` (`messages=debug,connection=warn`; a bare level for every concern)
 * overrides both. Bad levels or concerns are a `KIPC_INVALID_ARGUMENT` naming what is wrong.
 *
 * @example
 * ```ts
 * const logs = logConcerns(pino(), { messages: 'debug' }, { KIPC_LOG_LEVELS: 'connection=warn' })
 * logs.connection.info({}, 'not written')
 * ```
 */
export function logConcerns(logger: Logger, levels?: LogLevels, env: Environment = process.env): LogConcerns {
  const resolved = resolveLogLevels(levels, env)
  return {
    messages: new Concern(logger, 'messages', resolved.messages),
    failures: new Concern(logger, 'failures', resolved.failures),
    connection: new Concern(logger, 'connection', resolved.connection),
    lifecycle: new Concern(logger, 'lifecycle', resolved.lifecycle),
  }
}

/**
 * Each concern's level from `$KIPC_LOG_LEVEL` (all), then `levels`, then `$KIPC_LOG_LEVELS`;
 * a concern none of them sets is absent.
 *
 * @example
 * ```ts
 * resolveLogLevels({ messages: 'debug' }, { KIPC_LOG_LEVEL: 'warn' })
 * // { messages: 'debug', failures: 'warn', connection: 'warn', lifecycle: 'warn' }
 * ```
 */
export function resolveLogLevels(levels: LogLevels | undefined, env: Environment): LogLevels {
  const all = present(env['KIPC_LOG_LEVEL'])
  const base: LogLevels = all === undefined ? {} : everyConcern(checkLevel(all, () => `KIPC_LOG_LEVEL=${JSON.stringify(all)}`))
  const fromEnv = present(env['KIPC_LOG_LEVELS'])
  return { ...base, ...checkLogLevels(levels), ...(fromEnv === undefined ? {} : parseLogLevels(fromEnv)) }
}

/**
 * Reads `$KIPC_LOG_LEVELS`: `concern=level` entries separated by commas, and at most one bare
 * level for the concerns not named (`warn,messages=debug`). Whitespace around entries is ignored.
 *
 * @example
 * ```ts
 * parseLogLevels('messages=debug, connection=warn') // { messages: 'debug', connection: 'warn' }
 * parseLogLevels('messages=loud') // throws KIPC_INVALID_ARGUMENT: "loud" is not a log level …
 * ```
 */
export function parseLogLevels(text: string, source = 'KIPC_LOG_LEVELS'): LogLevels {
  const named: { [C in LogConcern]?: LogLevel } = {}
  let all: LogLevel | undefined
  const where = (entry: string): string => `${source}=${JSON.stringify(text)}, at ${JSON.stringify(entry)}`
  for (const piece of text.split(',')) {
    const entry = piece.trim()
    if (entry === '') continue
    const equals = entry.indexOf('=')
    if (equals === -1) {
      if (all !== undefined) throw invalid(`${where(entry)}: a second bare level; name the concern it is for`)
      all = checkLevel(entry, () => where(entry))
      continue
    }
    const concern = entry.slice(0, equals).trim()
    if (!isConcern(concern)) throw invalid(`${where(entry)}: ${JSON.stringify(concern)} is not a concern (${logConcernNames.join(', ')})`)
    if (named[concern] !== undefined) throw invalid(`${where(entry)}: ${concern} is set twice`)
    named[concern] = checkLevel(entry.slice(equals + 1).trim(), () => where(entry))
  }
  return all === undefined ? named : { ...everyConcern(all), ...named }
}

/** The `logLevels` option, checked. */
function checkLogLevels(levels: LogLevels | undefined): LogLevels {
  // Typed, but a JavaScript caller may pass anything.
  const given: unknown = levels
  if (given === undefined) return {}
  if (typeof given !== 'object' || given === null) throw invalid(`logLevels must be an object such as { messages: 'debug' }, got ${given === null ? 'null' : typeof given}`)
  for (const [concern, level] of Object.entries(given)) {
    if (!isConcern(concern)) throw invalid(`logLevels: ${JSON.stringify(concern)} is not a concern (${logConcernNames.join(', ')})`)
    if (level !== undefined) checkLevel(level, () => `logLevels.${concern}`)
  }
  return levels ?? {}
}

function checkLevel(value: unknown, where: () => string): LogLevel {
  if (isLogLevel(value)) return value
  throw invalid(`${where()}: ${JSON.stringify(value)} is not a log level (${Object.keys(levelValues).join(', ')})`)
}

function invalid(message: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Invalid log levels: ${message}. Write them as concern=level pairs, such as messages=debug,connection=warn.`)
}

function isConcern(value: string): value is LogConcern {
  return (logConcernNames as readonly string[]).includes(value)
}

function everyConcern(level: LogLevel): LogLevels {
  return { messages: level, failures: level, connection: level, lifecycle: level }
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === '' ? undefined : trimmed
}

class Concern implements ConcernLogger {
  readonly concern: LogConcern
  readonly level: LogLevel | undefined
  /** Lines below it are not written; a concern without a level passes all (messages: none). */
  readonly #threshold: number
  readonly #target: Logger
  /** Added to each line's details when the logger has no child(). */
  readonly #bindings: { readonly concern: LogConcern } | undefined

  constructor(logger: Logger, concern: LogConcern, level: LogLevel | undefined) {
    this.concern = concern
    this.level = level
    this.#threshold = level !== undefined ? levelValues[level] : concern === 'messages' ? Infinity : -Infinity
    if (logger.child === undefined) {
      this.#target = logger
      this.#bindings = { concern }
    } else {
      this.#target = level === undefined ? logger.child({ concern }) : logger.child({ concern }, { level })
      this.#bindings = undefined
    }
  }

  isEnabled(level: 'debug' | 'info' | 'warn' | 'error'): boolean {
    return levelValues[level] >= this.#threshold
  }

  debug(details: object, message: string): void {
    if (!this.isEnabled('debug')) return
    const target = this.#target
    if (target.debug === undefined) target.info(this.#with(details), message)
    else target.debug(this.#with(details), message)
  }

  info(details: object, message: string): void {
    if (this.isEnabled('info')) this.#target.info(this.#with(details), message)
  }

  warn(details: object, message: string): void {
    if (this.isEnabled('warn')) this.#target.warn(this.#with(details), message)
  }

  error(details: object, message: string): void {
    if (this.isEnabled('error')) this.#target.error(this.#with(details), message)
  }

  #with(details: object): object {
    return this.#bindings === undefined ? details : { ...this.#bindings, ...details }
  }
}
