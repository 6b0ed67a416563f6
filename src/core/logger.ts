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
}

const levels = { silent: 0, error: 1, warn: 2, info: 3 } as const
type Level = keyof typeof levels

/**
 * The default logger: one line per entry on stderr, at the level of `$KIPC_LOG_LEVEL`
 * (`silent`, `error`, `warn`, `info`; default `info`). Only state changes and failures are
 * logged, never per message, so `info` stays quiet in steady operation.
 *
 * @example
 * ```ts
 * const logger = stderrLogger('warn')
 * logger.warn({ group: 'kipc.pricing' }, 'lost the partition leader; re-establishing')
 * ```
 */
export function stderrLogger(level: Level = readLevel()): Logger {
  const threshold = levels[level]
  const write = (at: Exclude<Level, 'silent'>, details: object, message: string): void => {
    if (levels[at] > threshold) return
    const extra = Object.keys(details).length === 0 ? '' : ` ${JSON.stringify(details, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value instanceof Error ? value.message : value))}`
    process.stderr.write(`kafka-ipc ${at}: ${message}${extra}\n`)
  }
  return {
    info: (details, message) => {
      write('info', details, message)
    },
    warn: (details, message) => {
      write('warn', details, message)
    },
    error: (details, message) => {
      write('error', details, message)
    },
  }
}

function readLevel(): Level {
  const value = process.env['KIPC_LOG_LEVEL']
  return value !== undefined && Object.hasOwn(levels, value) ? (value as Level) : 'info'
}

/**
 * Logs a channel's change of state once: a warning when it starts recovering (with the failure),
 * an info line when it consumes again (with how long that took).
 */
export function logChannelState(logger: Logger, owner: string, health: ChannelHealth): void {
  const details = { owner, channel: health.name }
  if (health.state === 'recovering') {
    logger.warn({ ...details, error: health.lastError?.message }, `${owner}: ${health.name} stopped (${health.lastError?.message ?? 'unknown failure'}); re-establishing`)
  } else if (health.state === 'consuming' && health.lastRecoveryMs !== undefined) {
    logger.info({ ...details, recoveries: health.recoveries, recoveredAfterMs: health.lastRecoveryMs }, `${owner}: ${health.name} consuming again after ${(health.lastRecoveryMs / 1000).toFixed(1)} s`)
  }
}
