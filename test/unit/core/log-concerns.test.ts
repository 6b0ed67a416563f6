// Log levels per concern: how $KIPC_LOG_LEVEL, the logLevels option and $KIPC_LOG_LEVELS combine,
// what bad input says, and how a concern filters and labels its lines through loggers with and
// without child() — a real pino among them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pino from 'pino'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { logConcerns, type LogLevels, parseLogLevels, resolveLogLevels } from '../../../src/core/log-concerns.ts'
import { type Logger, stderrLogger } from '../../../src/core/logger.ts'

interface Line {
  readonly level: string
  readonly details: Record<string, unknown>
  readonly message: string
}

/** A logger like console's: no child(), and `debug` only when asked for. */
function plain(withDebug: boolean): { logger: Logger; lines: Line[] } {
  const lines: Line[] = []
  const at = (level: string) => (details: object, message: string) => lines.push({ level, details: details as Record<string, unknown>, message })
  return { logger: { info: at('info'), warn: at('warn'), error: at('error'), ...(withDebug ? { debug: at('debug') } : {}) }, lines }
}

function invalidArgument(pattern: RegExp): (error: unknown) => boolean {
  return (error) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && pattern.test(error.message)
}

describe('parseLogLevels', () => {
  it('reads concern=level pairs, with whitespace and empty entries ignored, and a bare level for the concerns not named', () => {
    assert.deepEqual(parseLogLevels('messages=debug,connection=warn'), { messages: 'debug', connection: 'warn' })
    assert.deepEqual(parseLogLevels(' messages = debug , , lifecycle=silent '), { messages: 'debug', lifecycle: 'silent' })
    assert.deepEqual(parseLogLevels('messages=debug,warn'), { messages: 'debug', failures: 'warn', connection: 'warn', lifecycle: 'warn' })
    assert.deepEqual(parseLogLevels('trace'), { messages: 'trace', failures: 'trace', connection: 'trace', lifecycle: 'trace' })
    assert.deepEqual(parseLogLevels(''), {})
  })

  it('refuses an unknown concern, an unknown or missing level, a concern set twice and two bare levels, naming the entry', () => {
    assert.throws(() => parseLogLevels('mesages=debug'), invalidArgument(/KIPC_LOG_LEVELS="mesages=debug", at "mesages=debug": "mesages" is not a concern \(messages, failures, connection, lifecycle\)/))
    assert.throws(() => parseLogLevels('messages=loud'), invalidArgument(/"loud" is not a log level \(trace, debug, info, warn, error, fatal, silent\)/))
    assert.throws(() => parseLogLevels('messages='), invalidArgument(/"" is not a log level/))
    assert.throws(() => parseLogLevels('messages=DEBUG'), invalidArgument(/"DEBUG" is not a log level/))
    assert.throws(() => parseLogLevels('messages=debug,messages=info'), invalidArgument(/messages is set twice/))
    assert.throws(() => parseLogLevels('info,warn'), invalidArgument(/a second bare level/))
    assert.throws(() => parseLogLevels('x=y', 'MY_LEVELS'), invalidArgument(/^Invalid log levels: MY_LEVELS="x=y".*Write them as concern=level pairs/))
  })
})

describe('resolveLogLevels', () => {
  it('$KIPC_LOG_LEVEL sets every concern, logLevels overrides it, $KIPC_LOG_LEVELS overrides both; unset concerns stay absent', () => {
    assert.deepEqual(resolveLogLevels(undefined, {}), {})
    assert.deepEqual(resolveLogLevels({ messages: 'debug' }, {}), { messages: 'debug' })
    assert.deepEqual(resolveLogLevels({ messages: 'debug' }, { KIPC_LOG_LEVEL: 'warn' }), { messages: 'debug', failures: 'warn', connection: 'warn', lifecycle: 'warn' })
    assert.deepEqual(resolveLogLevels({ messages: 'debug', connection: 'info' }, { KIPC_LOG_LEVEL: 'warn', KIPC_LOG_LEVELS: 'messages=silent' }), { messages: 'silent', failures: 'warn', connection: 'info', lifecycle: 'warn' })
    assert.deepEqual(resolveLogLevels(undefined, { KIPC_LOG_LEVEL: ' ', KIPC_LOG_LEVELS: '' }), {}, 'blank variables are unset')
  })

  it('refuses a bad $KIPC_LOG_LEVEL, and a logLevels option with an unknown concern or level', () => {
    assert.throws(() => resolveLogLevels(undefined, { KIPC_LOG_LEVEL: 'verbose' }), invalidArgument(/KIPC_LOG_LEVEL="verbose": "verbose" is not a log level/))
    assert.throws(() => resolveLogLevels({ message: 'debug' } as unknown as LogLevels, {}), invalidArgument(/logLevels: "message" is not a concern/))
    assert.throws(() => resolveLogLevels({ messages: 'loud' } as unknown as LogLevels, {}), invalidArgument(/logLevels.messages: "loud" is not a log level/))
    assert.throws(() => resolveLogLevels('debug' as unknown as LogLevels, {}), invalidArgument(/logLevels must be an object/))
  })
})

describe('logConcerns', () => {
  it('through a logger without child(): each line carries its concern; a concern with a level drops what is below it; one without passes all but messages', () => {
    const { logger, lines } = plain(true)
    const logs = logConcerns(logger, { connection: 'warn' }, {})
    logs.connection.info({ service: 'a' }, 'dropped')
    logs.connection.warn({ service: 'a' }, 'kept')
    logs.lifecycle.info({ service: 'a' }, 'listening')
    logs.failures.error({ service: 'a' }, 'failed')
    logs.messages.debug({ service: 'a' }, 'a message')
    assert.deepEqual(lines, [
      { level: 'warn', details: { concern: 'connection', service: 'a' }, message: 'kept' },
      { level: 'info', details: { concern: 'lifecycle', service: 'a' }, message: 'listening' },
      { level: 'error', details: { concern: 'failures', service: 'a' }, message: 'failed' },
    ])
    assert.equal(logs.messages.isEnabled('debug'), false, 'messages are off unless a level is set for them')
    assert.equal(logs.messages.isEnabled('error'), false)
    assert.equal(logs.lifecycle.isEnabled('debug'), true, 'an unset concern leaves the choice to the logger')
    assert.equal(logs.connection.level, 'warn')
    assert.equal(logs.lifecycle.level, undefined)
  })

  it('writes debug lines through info when the logger has no debug, and honours silent', () => {
    const { logger, lines } = plain(false)
    const logs = logConcerns(logger, { messages: 'debug', failures: 'silent' }, {})
    logs.messages.debug({ id: 'm1' }, 'handled')
    logs.failures.error({}, 'never')
    assert.deepEqual(lines, [{ level: 'info', details: { concern: 'messages', id: 'm1' }, message: 'handled' }])
    assert.equal(logs.failures.isEnabled('error'), false)
  })

  it('through a logger with child(): one child per concern, given the concern’s level only when one is set', () => {
    const made: { bindings: Record<string, unknown>; options: { level?: string } | undefined }[] = []
    const { logger } = plain(true)
    const parent: Logger = { ...logger, child: (bindings, options) => (made.push({ bindings, options }), logger) }
    logConcerns(parent, { messages: 'debug' }, { KIPC_LOG_LEVELS: 'lifecycle=warn' })
    assert.deepEqual(made, [
      { bindings: { concern: 'messages' }, options: { level: 'debug' } },
      { bindings: { concern: 'failures' }, options: undefined },
      { bindings: { concern: 'connection' }, options: undefined },
      { bindings: { concern: 'lifecycle' }, options: { level: 'warn' } },
    ])
  })

  it('through pino: a concern given debug writes debug lines while pino itself is at info; the others follow pino’s level', () => {
    const written: Record<string, unknown>[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => written.push(JSON.parse(line) as Record<string, unknown>) })
    const logs = logConcerns(logger, { messages: 'debug' }, {})
    logs.messages.debug({ messageId: 'm1', offset: 41n }, 'pricing: POST /quotes/:id answered 200 in 1.2 ms')
    logs.lifecycle.debug({}, 'not at info')
    logs.lifecycle.info({ service: 'pricing' }, 'pricing: listening (12 ms)')
    assert.deepEqual(written.map(({ level, concern, msg, messageId, offset }) => ({ level, concern, msg, messageId, offset })), [
      { level: 20, concern: 'messages', msg: 'pricing: POST /quotes/:id answered 200 in 1.2 ms', messageId: 'm1', offset: 41 },
      { level: 30, concern: 'lifecycle', msg: 'pricing: listening (12 ms)', messageId: undefined, offset: undefined },
    ])
    assert.equal(logConcerns(pino({ level: 'debug' }), undefined, {}).messages.isEnabled('debug'), false, 'pino at debug alone does not turn the messages concern on')
  })

  it('through the default stderr logger: child bindings lead each line, and the child’s level is the concern’s', () => {
    const chunks: string[] = []
    const original = process.stderr.write.bind(process.stderr)
    process.stderr.write = (chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0
    try {
      const logs = logConcerns(stderrLogger('info'), { messages: 'debug', connection: 'warn' }, {})
      logs.messages.debug({ messageId: 'm1' }, 'a message')
      logs.connection.info({}, 'dropped')
      logs.lifecycle.info({ service: 'a' }, 'listening')
    } finally {
      process.stderr.write = original
    }
    assert.equal(chunks.join(''), 'kafka-ipc debug: a message {"concern":"messages","messageId":"m1"}\nkafka-ipc info: listening {"concern":"lifecycle","service":"a"}\n')
  })
})
