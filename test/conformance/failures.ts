// Failures on the service side are visible: each reaches onError with its context, and with no
// onError given, the service's logger gets one structured line per failure.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { route } from '../../src/core/contracts.ts'
import type { FailureContext } from '../../src/core/failure.ts'
import { isKafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import type { Logger } from '../../src/core/logger.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import { Service } from '../../src/core/service.ts'
import { booked, echo, fail, missing, slow } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

interface Reported {
  readonly error: unknown
  readonly context: FailureContext
}

export function failuresSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('failures on the service side', () => {
    it('a throwing route handler, an unknown route and an expired request reach onError with their context', async () => {
      const { service, client, transport, policy } = kit()
      const reported: Reported[] = []
      const app = service('echo', { onError: (error, context) => reported.push({ error, context }) })
      app.handle(fail, () => {
        throw new Error('boom')
      })
      await app.listen()
      const caller = client('booking')
      await caller.call(fail, { body: { kind: 'plain' } }).catch(() => undefined)
      await caller.call(missing, {}).catch(() => undefined)
      await transport().send([
        buildMessage(
          { topic: topicNames.requests(policy, 'echo') },
          'request',
          { replyTo: `${topicNames.inbox(policy, 'booking', 'x')}:0`, deadline: Date.now() - 1, method: 'POST', path: '/echo', service: 'booking' },
          { caller: 'c', n: 1 },
          policy.codec,
          policy.maxMessageBytes,
        ),
      ])
      await waitUntil(() => reported.length >= 3, 'three failures reported')
      // Each failure is reported once: the expired request was written after the other two, and
      // anything reported twice would have come by now.
      await waitUntil(() => app.stats().expired === 1, 'the expired request is dropped')
      assert.equal(reported.length, 3, 'one report per failure')
      const requestTopic = topicNames.requests(policy, 'echo')
      const byTarget = new Map(reported.map((entry) => [entry.context.target, entry]))

      const thrown = byTarget.get('POST /fail')
      assert.ok(thrown)
      assert.equal((thrown.error as Error).message, 'boom')
      assert.equal(thrown.context.kind, 'handler-failed')
      assert.equal(thrown.context.service, 'echo')
      assert.equal(thrown.context.caller, 'booking')
      assert.equal(thrown.context.topic, requestTopic)
      assert.equal(typeof thrown.context.partition, 'number')
      assert.equal(typeof thrown.context.offset, 'bigint')
      assert.match(thrown.context.messageId ?? '', /^[\w-]{16,}$/)
      assert.equal(thrown.context.correlationId, thrown.context.messageId, 'a request is its own correlation')
      assert.equal(thrown.context.route, 'POST /fail')

      const unknown = byTarget.get(`${missing.method} ${missing.path}`)
      assert.ok(unknown && isKafkaIpcError(unknown.error, 'KIPC_NOT_FOUND'))
      assert.equal(unknown.context.kind, 'message-dropped')

      const expired = byTarget.get('POST /echo')
      assert.ok(expired && isKafkaIpcError(expired.error, 'KIPC_TIMEOUT'))
      assert.equal(expired.context.kind, 'message-dropped')
      assert.match((expired.error as Error).message, /deadline had passed/)
    })

    it('a throwing event handler reaches onError with the event, the record and the emitter', async () => {
      const { service, client, policy } = kit()
      const reported: Reported[] = []
      const app = service('ledger', { onError: (error, context) => reported.push({ error, context }) })
      app.on(booked, () => {
        throw new Error('ledger down')
      })
      await app.listen()
      await client('booking').emit(booked, { id: 'B1', seq: 1 }, { key: 'B1' })
      await waitUntil(() => reported.length >= 1, 'the failure is reported')
      const [entry] = reported
      assert.ok(entry)
      assert.equal((entry.error as Error).message, 'ledger down')
      assert.equal(entry.context.correlationId, entry.context.messageId, 'an event is its own correlation')
      assert.deepEqual({ ...entry.context, partition: undefined, offset: undefined, messageId: undefined, correlationId: undefined }, {
        kind: 'handler-failed',
        phase: 'handler',
        service: 'ledger',
        target: booked.name,
        route: booked.name,
        topic: topicNames.event(policy, booked.name),
        partition: undefined,
        offset: undefined,
        messageId: undefined,
        correlationId: undefined,
        caller: 'booking',
      })
    })

    it('without onError, each failure is one structured line through the logger: error for 5xx, warn for the sender’s mistakes', async () => {
      const { client, transport, policy } = kit()
      const logged: { level: string; details: Record<string, unknown>; message: string }[] = []
      const capture = (level: string) => (details: object, message: string) => logged.push({ level, details: details as Record<string, unknown>, message })
      const logger: Logger = { info: capture('info'), warn: capture('warn'), error: capture('error') }
      // The failures concern's lines (the service also says when it listens and closes).
      const lines = (): typeof logged => logged.filter((line) => line.details['concern'] === 'failures')
      const app = new Service({ name: 'echo', policy, transport: transport(), logger })
      try {
        app.handle(fail, () => {
          throw new Error('boom')
        })
        app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
        await app.listen()
        const caller = client('booking')
        await caller.call(fail, { body: { kind: 'plain' } }).catch(() => undefined)
        await caller.call(echo, { body: { caller: 'c', n: 'x' as unknown as number } }).catch(() => undefined)
        await waitUntil(() => lines().length >= 2, 'two lines logged')
        // A later answered call: a second line for either failure would have been written before its reply.
        assert.equal((await caller.call(echo, { body: { caller: 'c', n: 1 } })).n, 1)
        assert.equal(lines().length, 2, 'one line per failure')
        const failed = lines().find((line) => line.details['route'] === 'POST /fail')
        assert.equal(failed?.level, 'error')
        assert.equal(failed.message, 'echo: handler-failed POST /fail: boom')
        assert.equal(failed.details['caller'], 'booking')
        assert.equal(failed.details['status'], 500)
        const invalid = lines().find((line) => line.details['route'] === 'POST /echo')
        assert.equal(invalid?.level, 'warn', 'a bad request is the sender’s mistake')
        assert.equal(invalid.details['code'], 'KIPC_BAD_REQUEST')
      } finally {
        await app.close()
      }
    })

    it('a call to a service that never listened fails at once, naming it; the topic is not created', async () => {
      const { client, policy, transport } = kit()
      const ghost = route('ghost', 'POST /x', { reply: z.object({ ok: z.boolean() }) })
      const started = Date.now()
      const error: unknown = await client('booking')
        .call(ghost, { timeout: 10_000 })
        .catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(error, 'KIPC_UNKNOWN_SERVICE'), String(error))
      assert.ok(Date.now() - started < 5_000, 'without waiting for the deadline')
      assert.match(error.message, new RegExp(`No service named ghost .* ${topicNames.requests(policy, 'ghost').replaceAll('.', '\\.')} does not exist`))
      const stillMissing: unknown = await transport()
        .ensureTopics([{ name: topicNames.requests(policy, 'ghost'), partitions: 1, replication: -1, retentionMs: 60_000 }], false)
        .catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(stillMissing, 'KIPC_TOPIC_MISSING'), 'the caller created no topic')
    })

    it('a timeout says whether any instance consumes the requests: none (stopped) or some (slow)', async () => {
      const { service, client } = kit()
      const app = service('echo')
      app.handle(slow, async (request) => {
        await new Promise((resolve) => setTimeout(resolve, request.body.ms))
        return { done: true }
      })
      await app.listen()
      const caller = client('booking')
      const slowError: unknown = await caller.call(slow, { body: { ms: 3_000 }, timeout: 1_500 }).catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(slowError, 'KIPC_TIMEOUT'), String(slowError))
      assert.match(slowError.message, /1 instance\(s\) of echo consume its requests: the handler is slow/)
      await app.close()
      // The answer to whether anyone consumes is refreshed at most every 5 s.
      await new Promise((resolve) => setTimeout(resolve, 5_100))
      const stoppedError: unknown = await caller.call(slow, { body: { ms: 0 }, timeout: 1_500 }).catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(stoppedError, 'KIPC_TIMEOUT'), String(stoppedError))
      assert.match(stoppedError.message, /No instance of echo is consuming .*echo\.requests \(consumer group .* has no members\): it is stopped/)
    })
  })
}
