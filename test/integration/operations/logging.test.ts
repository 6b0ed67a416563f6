// Structured logging on a real broker through a real pino logger (docs/operations.md#logging): a
// service and a client made by createService and createClient, with the messages concern at debug,
// write JSON lines to a destination this test reads. A handled request, a failed one, a dropped
// record and a call each give lines carrying their message id, correlation id, service and route.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { z } from 'zod'
import { route } from '../../../src/core/contracts.ts'
import { isKafkaIpcError, KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { buildMessage } from '../../../src/core/protocol/envelope.ts'
import { topicNames } from '../../../src/core/protocol/topic-names.ts'
import type { Client } from '../../../src/core/client.ts'
import type { Service } from '../../../src/core/service.ts'
import { createClient, createService } from '../../../src/create.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'

const brokers = useKafka()

const quote = route('log-pricing', 'POST /quotes/:id', { body: z.object({ n: z.number() }), reply: z.object({ price: z.number() }) })
const broken = route('log-pricing', 'POST /broken')

/** A line as pino wrote it: JSON, with pino's numeric level and `msg`. */
type Line = Record<string, unknown> & { readonly level: number; readonly msg: string }

describe('structured logging through pino, on a broker', { timeout: 180_000 }, () => {
  const policy = definePolicy({ prefix: uniqueName('logging'), partitions: 1, timeoutMs: 15_000 })
  const lines: Line[] = []
  // pino at info, as an application would run it: the messages concern's level is what lets its debug lines through.
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Line) })
  let service: Service
  let web: Client

  /** The first line matching, waited for: answers can arrive before the responder's line is written. */
  async function line(where: Partial<Line>, what: string): Promise<Line> {
    for (let tries = 0; tries < 500; tries++) {
      const found = lines.find((each) => Object.entries(where).every(([key, value]) => each[key] === value))
      if (found !== undefined) return found
      await sleep(10)
    }
    throw new Error(`no line for ${what} (${JSON.stringify(where)}); lines:\n${lines.map((each) => JSON.stringify(each)).join('\n')}`)
  }

  before(async () => {
    // createService and createClient connect to $KAFKA_BROKERS when given no transport, as in production.
    process.env['KAFKA_BROKERS'] = brokers().join(',')
    service = createService({ name: 'log-pricing', policy, logger, logLevels: { messages: 'debug' }, shutdown: false })
    service.handle(quote, (request) => ({ price: request.body.n * 10 }))
    service.handle(broken, () => {
      throw new KafkaIpcError('PRICING_DOWN', 'The fare store is down.', { status: 503 })
    })
    await service.listen()
    web = createClient({ name: 'log-web', policy, logger, logLevels: { messages: 'debug' } })
    await web.ready()
  })

  after(async () => {
    await web.close()
    await service.close()
  })

  it('a handled request and its call: one debug line each, sharing the request’s id as message and correlation id', async () => {
    assert.deepEqual(await web.call(quote, { params: { id: 'q42' }, body: { n: 3 } }), { price: 30 })
    const handled = await line({ concern: 'messages', service: 'log-pricing', route: 'POST /quotes/:id' }, 'the handled request')
    const called = await line({ concern: 'messages', service: 'log-web', kind: 'call', route: 'POST /quotes/:id' }, 'the call')
    assert.equal(handled.level, 20, 'debug')
    assert.match(String(handled['messageId']), /^[\w-]{16,}$/)
    assert.equal(handled['correlationId'], handled['messageId'])
    assert.deepEqual(
      [handled['kind'], handled['caller'], handled['topic'], handled['partition'], typeof handled['offset'], handled['outcome'], handled['status'], typeof handled['durationMs']],
      ['route', 'log-web', topicNames.requests(policy, 'log-pricing'), 0, 'number', 'answered', 200, 'number'],
    )
    assert.match(handled.msg, /^log-pricing: POST \/quotes\/:id answered 200 in \d+(\.\d)? ms$/)
    assert.deepEqual(
      [called['messageId'], called['correlationId'], called['callee'], called['topic'], called['outcome'], called['status'], called.level],
      [handled['messageId'], handled['messageId'], 'log-pricing', topicNames.requests(policy, 'log-pricing'), 'ok', 200, 20],
    )
  })

  it('a failed request: a failures line at error with code, status and error, besides both message lines', async () => {
    await assert.rejects(web.call(broken), (error) => isKafkaIpcError(error, 'PRICING_DOWN'))
    const failure = await line({ concern: 'failures', route: 'POST /broken' }, 'the failure')
    assert.equal(failure.level, 50, 'error: a 5xx is the service’s own failure')
    assert.deepEqual(
      [failure['kind'], failure['phase'], failure['service'], failure['caller'], failure['code'], failure['status'], failure['error'], failure['topic'], failure['partition'], typeof failure['offset']],
      ['handler-failed', 'handler', 'log-pricing', 'log-web', 'PRICING_DOWN', 503, 'The fare store is down.', topicNames.requests(policy, 'log-pricing'), 0, 'number'],
    )
    assert.equal(failure['correlationId'], failure['messageId'])
    assert.match(failure.msg, /^log-pricing: handler-failed POST \/broken: The fare store is down\.$/)
    const handled = await line({ concern: 'messages', service: 'log-pricing', route: 'POST /broken' }, 'the failed request’s message line')
    const called = await line({ concern: 'messages', service: 'log-web', route: 'POST /broken' }, 'the failed call’s message line')
    assert.deepEqual([handled['messageId'], handled['outcome'], handled['status'], handled['code']], [failure['messageId'], 'failed', 503, 'PRICING_DOWN'])
    assert.deepEqual([called['messageId'], called['outcome'], called['status'], called['code'], called['error']], [failure['messageId'], 'error', 503, 'PRICING_DOWN', 'The fare store is down.'])
  })

  it('a dropped record: a failures line at warn naming what it asked for, where it lies and who sent it', async () => {
    const raw = kafkaTransport({ brokers: brokers() })
    const id = `expired-${uniqueName('id')}`
    try {
      await raw.send([
        buildMessage(
          { topic: topicNames.requests(policy, 'log-pricing') },
          'request',
          { replyTo: web.address, deadline: Date.now() - 1_000, method: 'POST', path: '/quotes/q7', service: 'log-intruder' },
          { n: 1 },
          policy.codec,
          policy.maxMessageBytes,
          undefined,
          id,
        ),
      ])
    } finally {
      await raw.close()
    }
    const dropped = await line({ concern: 'failures', messageId: id }, 'the dropped record')
    assert.equal(dropped.level, 40, 'warn: the sender’s problem')
    assert.deepEqual(
      [dropped['kind'], dropped['phase'], dropped['service'], dropped['route'], dropped['correlationId'], dropped['caller'], dropped['topic'], dropped['partition'], typeof dropped['offset'], dropped['code'], dropped['status']],
      ['message-dropped', 'drop-rules', 'log-pricing', 'POST /quotes/q7', id, 'log-intruder', topicNames.requests(policy, 'log-pricing'), 0, 'number', 'KIPC_TIMEOUT', 504],
    )
    assert.equal(lines.filter((each) => each['concern'] === 'messages' && each['messageId'] === id).length, 0, 'a dropped record is never handled, so it has no message line')
  })

  it('the service said it listens, through the lifecycle concern, at info', async () => {
    const listening = await line({ concern: 'lifecycle', service: 'log-pricing' }, 'the listening line')
    assert.equal(listening.level, 30)
    assert.match(listening.msg, /^log-pricing: listening \(\d+ ms\)$/)
    assert.deepEqual(listening['topics'], [topicNames.requests(policy, 'log-pricing')])
  })
})
