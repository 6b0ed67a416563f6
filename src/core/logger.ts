import type { ChannelHealth } from './channel-health.ts'

/**
 * The logger kafka-ipc writes to: the `(object, message)` calls of pino, so a pino logger (or a
 * Fastify `app.log`) can be passed as is.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * const app = createService({ name: 'pricing', logger: pino() })
 * ```
 */
export interface Logger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
  error(details: object, message: string): void
  /** Per-message lines (the `messages` concern) go here; a logger without it gets them through `info`. */
  debug?(details: object, message: string): void
  /**
   * pino's `child()`: when the logger has it, each concern's lines go through a child bound to
   * `{ concern }` — with that concern's level, when one is set (docs/operations.md#logging).
   */
  child?(bindings: Record<string, unknown>, options?: { level?: string }): Logger
}

/**
 * A log level, by pino's names: a concern's threshold, or the default logger's. `silent` logs
 * nothing; kafka-ipc writes its own lines at `error`, `warn`, `info` and `debug`.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** pino's numbers: a line is written when its level's number is at least the threshold's. */
export const levelValues: Readonly<Record<LogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

/** Whether `value` names a {@link LogLevel}. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(levelValues, value)
}

/**
 * The default logger: one line per entry on stderr, at the level of `$KIPC_LOG_LEVEL` (a
 * {@link LogLevel}; default `info`). Only state changes and failures are logged at `info` and
 * above, never per message, so `info` stays quiet in steady operation; per-message lines are
 * `debug`. `bindings` lead every line's details; `child()` adds more (and may set its own
 * level), as pino's does.
 *
 * @example
 * ```ts
 * const logger = stderrLogger('warn')
 * logger.warn({ group: 'kipc.pricing' }, 'lost the partition leader; re-establishing')
 * ```
 */
export function stderrLogger(level: LogLevel = readLevel(), bindings: Readonly<Record<string, unknown>> = {}): Logger & Required<Pick<Logger, 'debug' | 'child'>> {
  const threshold = levelValues[level]
  const write = (at: 'debug' | 'info' | 'warn' | 'error', details: object, message: string): void => {
    if (levelValues[at] < threshold) return
    const all: object = Object.keys(bindings).length === 0 ? details : { ...bindings, ...details }
    const extra = Object.keys(all).length === 0 ? '' : ` ${JSON.stringify(all, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value instanceof Error ? value.message : value))}`
    process.stderr.write(`kafka-ipc ${at}: ${message}${extra}\n`)
  }
  return {
    debug: (details, message) => {
      write('debug', details, message)
    },
    info: (details, message) => {
      write('info', details, message)
    },
    warn: (details, message) => {
      write('warn', details, message)
    },
    error: (details, message) => {
      write('error', details, message)
    },
    child: (more, options) => stderrLogger(isLogLevel(options?.level) ? options.level : level, { ...bindings, ...more }),
  }
}

function readLevel(): LogLevel {
  const value = process.env['KIPC_LOG_LEVEL']
  return isLogLevel(value) ? value : 'info'
}

/**
 * Logs a channel's change of state once: a warning when it starts recovering (with the failure),
 * an info line when it consumes again (with how long that took).
 */
export function logChannelState(logger: Logger, owner: string, health: ChannelHealth): void {
  const details = { service: owner, channel: health.name }
  if (health.state === 'recovering') {
    logger.warn({ ...details, error: health.lastError?.message }, `${owner}: ${health.name} stopped (${health.lastError?.message ?? 'unknown failure'}); re-establishing`)
  } else if (health.state === 'consuming' && health.lastRecoveryMs !== undefined) {
    logger.info({ ...details, recoveries: health.recoveries, recoveredAfterMs: health.lastRecoveryMs }, `${owner}: ${health.name} consuming again after ${(health.lastRecoveryMs / 1000).toFixed(1)} s`)
  }
}
