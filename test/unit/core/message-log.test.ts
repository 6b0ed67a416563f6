// The messages concern on the memory transport: one debug line per record handled and per call,
// stream, gather and emit, with its ids, route, outcome, status and duration — and nothing at all
// (not even a wrapper) while the concern is off. On a real broker through pino:
// test/integration/operations/logging.test.ts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { event, gather, route, stream } from '../../../src/core/contracts.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { logConcerns, type LogLevels } from '../../../src/core/log-concerns.ts'
import type { Logger } from '../../../src/core/logger.ts'
import { withMessageLog } from '../../../src/core/message-log.ts'
import type { MessageTracer, MessageTracing } from '../../../src/core/message-tracing.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { topicNames } from '../../../src/core/protocol/topic-names.ts'
import { Service } from '../../../src/core/service.ts'
import { MemoryBroker } from '../../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'

const policy = definePolicy({ prefix: 'ml', partitions: 1 })
const getBooking = route('echo', 'GET /bookings/:id', { reply: z.object({ id: z.string() }) })
const fail = route('echo', 'POST /fail')
const slow = route('echo', 'GET /slow')
const count = stream('echo', 'POST /count', { body: z.object({ upTo: z.number() }), item: z.object({ i: z.number() }) })
const seats = gather('ml.seats', { body: z.object({ flight: z.string() }), reply: z.object({ seats: z.number() }) })
const booked = event('ml.booked', { body: z.object({ id: z.string() }) })

type Line = Record<string, unknown> & { readonly msg: string; readonly level: string }

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = []
  const at = (level: string) => (details: object, msg: string) => lines.push({ ...(details as Record<string, unknown>), msg, level })
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines }
}

async function fleet(logLevels: LogLevels | undefined, tracing?: MessageTracing) {
  const broker = new MemoryBroker()
  const { logger, lines } = capture()
  const options = { policy, logger, onError: () => undefined, ...(logLevels === undefined ? {} : { logLevels }), ...(tracing === undefined ? {} : { tracing }) }
  const echo = new Service({ name: 'echo', transport: memoryTransport(broker), ...options })
    .handle(getBooking, (request) => ({ id: request.params.id }))
    .handle(fail, () => {
      throw new Error('boom')
    })
    .handle(slow, async (_request, context) => {
      await sleep(1_000, undefined, { signal: context.signal }).catch(() => undefined)
    })
    .handle(count, async function* (request) {
      for (let i = 0; i < request.body.upTo; i++) {
        await sleep(1)
        yield { i }
      }
    })
    .handle(seats, () => ({ seats: 2 }))
    .on(booked, () => undefined)
    .mount((request) => Response.json({ path: new URL(request.url).pathname }))
  await echo.listen()
  const web = new Client({ name: 'web', transport: memoryTransport(broker), ...options })
  return {
    echo,
    web,
    lines,
    messages: (): Line[] => lines.filter((line) => line['concern'] === 'messages'),
    close: async () => {
      await web.close()
      await echo.close()
    },
  }
}

async function until<T>(find: () => T | undefined, what: string): Promise<T> {
  for (let tries = 0; tries < 300; tries++) {
    const found = find()
    if (found !== undefined) return found
    await sleep(10)
  }
  throw new Error(`no ${what}`)
}

describe('the messages concern', () => {
  it('is off by default: no line, and the tracer the pipeline gets is the one it would have had', async () => {
    const { web, echo, lines, close } = await fleet(undefined)
    try {
      await web.call(getBooking, { params: { id: '42' } })
      await web.emit(booked, { id: 'B1' })
      await sleep(50)
      assert.deepEqual(lines.filter((line) => line['concern'] === 'messages'), [])
      assert.equal(echo.stats().eventsHandled, 1)
    } finally {
      await close()
    }
    const inner: MessageTracer = { enabled: () => false, consume: () => assert.fail(), call: () => assert.fail(), send: () => assert.fail() }
    const off = logConcerns(capture().logger, { messages: 'info' }, {}).messages
    assert.equal(withMessageLog(inner, off, 'web', policy), inner, 'off: the same tracer, nothing wrapped')
    assert.equal(withMessageLog(undefined, off, 'web', policy), undefined)
  })

  it('a handled request and its call: one line each, with the ids, the route as declared, the caller, the record, outcome, status and duration', async () => {
    const { web, messages, close } = await fleet({ messages: 'debug' })
    try {
      assert.deepEqual(await web.call(getBooking, { params: { id: '42' } }), { id: '42' })
      const handled = await until(() => messages().find((line) => line['service'] === 'echo'), 'handled line')
      const called = await until(() => messages().find((line) => line['service'] === 'web'), 'call line')
      assert.equal(handled.level, 'debug')
      assert.match(String(handled['messageId']), /^[\w-]{16,}$/)
      assert.deepEqual({ ...handled, messageId: undefined, correlationId: undefined, offset: undefined, durationMs: undefined, key: undefined }, {
        concern: 'messages', service: 'echo', kind: 'route', route: 'GET /bookings/:id', messageId: undefined, correlationId: undefined, caller: 'web',
        topic: topicNames.requests(policy, 'echo'), partition: 0, offset: undefined, key: undefined, outcome: 'answered', status: 200, durationMs: undefined,
        msg: `echo: GET /bookings/:id answered 200 in ${String(handled['durationMs'])} ms`, level: 'debug',
      })
      assert.equal(handled['correlationId'], handled['messageId'])
      assert.equal(typeof handled['offset'], 'bigint')
      assert.equal(typeof handled['durationMs'], 'number')
      assert.deepEqual({ ...called, durationMs: undefined }, {
        concern: 'messages', service: 'web', kind: 'call', route: 'GET /bookings/:id', callee: 'echo', messageId: handled['messageId'], correlationId: handled['messageId'],
        topic: topicNames.requests(policy, 'echo'), outcome: 'ok', status: 200, answers: undefined, durationMs: undefined,
        msg: `web: call echo GET /bookings/:id ok 200 in ${String(called['durationMs'])} ms`, level: 'debug',
      })
    } finally {
      await close()
    }
  })

  it('a failing handler, a timeout, a stream, a gather, a mounted app, an emit and its event', async () => {
    const { web, messages, close } = await fleet({ messages: 'debug' })
    try {
      await assert.rejects(web.call(fail), (error) => isKafkaIpcError(error, 'KIPC_HANDLER_ERROR'))
      await assert.rejects(web.call(slow, { timeout: 50 }), (error) => isKafkaIpcError(error, 'KIPC_TIMEOUT'))
      const items = []
      for await (const item of web.stream(count, { body: { upTo: 3 } })) items.push(item)
      assert.equal(items.length, 3)
      const { answers } = await web.gather(seats, { body: { flight: 'LO1' }, expect: 1 })
      assert.equal(answers.length, 1)
      assert.equal((await web.fetch('kafka://echo/anything/42')).status, 200)
      await web.emit(booked, { id: 'B1' }, { key: 'B1' })
      const line = (service: string, kind: string, route: string): Promise<Line> =>
        until(() => messages().find((each) => each['service'] === service && each['kind'] === kind && each['route'] === route), `${service} ${kind} ${route}`)
      const failed = await line('echo', 'route', 'POST /fail')
      assert.deepEqual([failed['outcome'], failed['status'], failed['code'], failed['error']], ['failed', 500, undefined, 'boom'])
      const failedCall = await line('web', 'call', 'POST /fail')
      assert.deepEqual([failedCall['outcome'], failedCall['status'], failedCall['code']], ['error', 500, 'KIPC_HANDLER_ERROR'])
      const timedOut = await line('web', 'call', 'GET /slow')
      assert.deepEqual([timedOut['outcome'], timedOut['code']], ['timeout', 'KIPC_TIMEOUT'])
      assert.equal((await line('echo', 'route', 'GET /slow'))['outcome'], 'timed-out')
      assert.deepEqual([(await line('web', 'stream', 'POST /count'))['answers'], (await line('echo', 'stream', 'POST /count'))['outcome']], [4, 'answered'], 'three items and the end')
      const gathered = await line('web', 'gather', 'ml.seats')
      assert.deepEqual([gathered['callee'], gathered['answers'], gathered['outcome'], gathered['msg']], [undefined, 1, 'ok', `web: gather ml.seats ok 200, 1 answer in ${String(gathered['durationMs'])} ms`])
      assert.equal((await line('echo', 'gather', 'ml.seats'))['topic'], topicNames.gather(policy, 'ml.seats'))
      assert.equal((await line('echo', 'route', 'GET /anything/42'))['status'], 200, 'a mounted app: the method and path asked for')
      assert.equal((await line('web', 'call', 'GET /anything/42'))['callee'], 'echo')
      const emitted = await line('web', 'emit', 'ml.booked')
      const handled = await line('echo', 'event', 'ml.booked')
      assert.deepEqual([emitted['outcome'], emitted['key'], emitted['topic']], ['ok', 'B1', topicNames.event(policy, 'ml.booked')])
      assert.deepEqual([handled['messageId'], handled['correlationId'], handled['caller'], handled['outcome'], handled['key']], [emitted['messageId'], emitted['messageId'], 'web', 'handled', 'B1'])
      assert.equal(handled['msg'], `echo: ml.booked handled in ${String(handled['durationMs'])} ms`)
    } finally {
      await close()
    }
  })

  it('passes every start and end on to the tracer it wraps, so tracing and message lines run side by side', async () => {
    const seen: string[] = []
    const tracing: MessageTracing = ({ name }) => ({
      enabled: () => true,
      consume: (record) => ({ run: (work) => work(), settle: (outcome) => seen.push(`${name} consume ${record.kind} ${outcome}`) }),
      call: (exchange) => ({ run: (work) => work(), send: () => ({ end: () => seen.push(`${name} sent ${exchange.kind}`) }), answered: (answer) => seen.push(`${name} answer ${answer.kind}`), end: () => seen.push(`${name} end ${exchange.kind}`) }),
      send: () => ({ end: () => seen.push(`${name} emitted`) }),
    })
    const { web, messages, close } = await fleet({ messages: 'debug' }, tracing)
    try {
      await web.call(getBooking, { params: { id: '7' } })
      await web.emit(booked, { id: 'B2' })
      await until(() => (messages().length >= 4 ? true : undefined), 'four lines')
      await until(() => (seen.includes('echo consume event handled') ? true : undefined), 'the event traced')
      assert.deepEqual(seen.filter((entry) => !entry.includes('event')).sort(), ['echo consume route answered', 'web answer reply', 'web emitted', 'web end call', 'web sent call'])
    } finally {
      await close()
    }
  })
})
