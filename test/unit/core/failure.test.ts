import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { logFailures } from '../../../src/core/failure.ts'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import type { Logger } from '../../../src/core/logger.ts'

function capture(): { logger: Logger; lines: { level: string; details: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; details: Record<string, unknown>; message: string }[] = []
  const at = (level: string) => (details: object, message: string) => lines.push({ level, details: details as Record<string, unknown>, message })
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines }
}

describe('logFailures', () => {
  it('logs a 5xx handler failure and an undeliverable answer as errors, a sender mistake as a warning, and a transport failure not at all', () => {
    const { logger, lines } = capture()
    const log = logFailures(logger)
    log(new Error('boom'), { kind: 'handler-failed', service: 'pricing', target: 'POST /quotes/42', route: 'POST /quotes/:id', topic: 't', partition: 1, offset: 7n, messageId: 'm', correlationId: 'm', caller: 'web' })
    log(new KafkaIpcError('KIPC_BAD_REQUEST', 'n: expected number'), { kind: 'handler-failed', service: 'pricing', target: 'POST /quotes' })
    log(new KafkaIpcError('KIPC_TIMEOUT', 'late'), { kind: 'message-dropped', service: 'pricing' })
    log(new KafkaIpcError('KIPC_TRANSPORT_ERROR', 'no leader'), { kind: 'answer-undeliverable', service: 'pricing' })
    log(new KafkaIpcError('KIPC_TRANSPORT_ERROR', 'fetch failed'), { kind: 'transport', service: 'pricing' })
    assert.deepEqual(
      lines.map((line) => [line.level, line.message]),
      [
        ['error', 'pricing: handler-failed POST /quotes/:id: boom'],
        ['warn', 'pricing: handler-failed POST /quotes: n: expected number'],
        ['warn', 'pricing: message-dropped: late'],
        ['error', 'pricing: answer-undeliverable: no leader'],
      ],
    )
    // The line names the route as declared; what was asked for (the context's target) stays in the context.
    assert.deepEqual(lines[0]?.details, { kind: 'handler-failed', service: 'pricing', route: 'POST /quotes/:id', topic: 't', partition: 1, offset: 7n, messageId: 'm', correlationId: 'm', caller: 'web', status: 500, error: 'boom' })
    assert.equal(lines[1]?.details['code'], 'KIPC_BAD_REQUEST')
    assert.equal(lines[1].details['route'], 'POST /quotes', 'a context with a target only: the line names it as the route')
  })
})
