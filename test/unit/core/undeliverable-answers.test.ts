// An answer the broker will not take before the request's deadline is dropped and counted,
// reported once, and not followed by an error answer that would fail the same way.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { route } from '../../../src/core/contracts.ts'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { envelopeField } from '../../../src/core/protocol/packed-envelope.ts'
import { topicNames } from '../../../src/core/protocol/topic-names.ts'
import { Service } from '../../../src/core/service.ts'
import type { SendOptions, Transport } from '../../../src/core/transport.ts'
import { MemoryBroker, memoryTransport } from '../../../src/transports/memory/index.ts'
import { carriesReply, interceptSends } from '../../support/intercepted-transport.ts'

const ping = route('pinger', 'POST /ping', { body: z.object({ n: z.number() }), reply: z.object({ n: z.number() }) })

/** A transport whose sends to inboxes fail as Kafka's do when no leader can be found in time. */
function inboxesUnreachable(inner: Transport, policy: ReturnType<typeof definePolicy>, seen: SendOptions[]): Transport {
  return interceptSends(inner, async (messages, options = {}) => {
    // Answers only: the service's own heartbeats go to its inbox too, and are let through.
    if (messages.some((message) => topicNames.isInbox(policy, message.topic) && envelopeField(message.headers, 'kipc-kind') !== 'heartbeat')) {
      seen.push(options)
      throw new KafkaIpcError('KIPC_TRANSPORT_ERROR', 'Kafka did not acknowledge the send before its deadline.', { retryable: true })
    }
    await inner.send(messages, options)
  })
}

describe('undeliverable answers', () => {
  it('are retried until the request deadline by the transport, then counted once and reported once', async () => {
    const broker = new MemoryBroker()
    const policy = definePolicy({ prefix: 'u', partitions: 1, timeoutMs: 1_000 })
    const seen: SendOptions[] = []
    const reported: unknown[] = []
    const service = new Service({ name: 'pinger', policy, transport: inboxesUnreachable(memoryTransport(broker), policy, seen), onError: (error) => reported.push(error) })
    service.handle(ping, (request) => ({ n: request.body.n }))
    await service.listen()
    const client = new Client({ name: 'caller', policy, transport: memoryTransport(broker) })
    try {
      const sentAt = Date.now()
      await assert.rejects(client.call(ping, { body: { n: 1 }, timeout: 300 }), { code: 'KIPC_TIMEOUT' })
      for (let wait = 0; service.stats().undeliverable === 0 && wait < 50; wait++) await new Promise((resolve) => setTimeout(resolve, 20))
      assert.equal(service.stats().undeliverable, 1)
      assert.equal(seen.length, 1, 'no error answer follows an undeliverable reply')
      const retryUntil = seen[0]?.retryUntil ?? 0
      assert.ok(retryUntil >= sentAt + 250 && retryUntil <= sentAt + 400, `the reply may be retried until the request's deadline (${retryUntil - sentAt} ms after sending)`)
      assert.equal(reported.length, 1)
      assert.ok(reported[0] instanceof KafkaIpcError)
    } finally {
      await client.close()
      await service.close()
    }
  })
})

describe('a reply the transport will not take', () => {
  /** A transport that refuses every reply (error answers pass) with `refusal`. */
  function refusingReplies(inner: Transport, refusal: () => Error): Transport {
    return interceptSends(inner, async (messages, options = {}) => {
      if (carriesReply(messages)) throw refusal()
      await inner.send(messages, options)
    })
  }

  /** Calls `ping` once on a service with or without a hook (the full handling or the quick way), with its replies refused by `refusal`. */
  async function refusedOnce(hooked: boolean, refusal: () => Error): Promise<{ outcome: unknown; reports: object[]; stats: { undeliverable: number; failed: number; handled: number; running: number } }> {
    const broker = new MemoryBroker()
    const policy = definePolicy({ prefix: hooked ? 'rh' : 'rp', partitions: 1, timeoutMs: 2_000 })
    const reports: object[] = []
    const service = new Service({ name: 'pinger', policy, transport: refusingReplies(memoryTransport(broker), refusal), onError: (error, context) => reports.push({ code: (error as KafkaIpcError).code, kind: context.kind, phase: context.phase, target: context.target, route: context.route, hasId: typeof context.messageId === 'string', caller: context.caller }) })
    if (hooked) service.addHook('onResponse', () => undefined)
    service.handle(ping, (request) => ({ n: request.body.n }))
    await service.listen()
    const client = new Client({ name: 'caller', policy, transport: memoryTransport(broker) })
    try {
      const outcome = await client.call(ping, { body: { n: 1 }, timeout: 500 }).then(
        (answer) => ({ answer }),
        (error: unknown) => ({ code: (error as KafkaIpcError).code, status: (error as KafkaIpcError).status, message: (error as Error).message }),
      )
      // The caller may read an error answer before the service has finished the request.
      for (let wait = 0; (service.stats().undeliverable === 0 || service.stats().running > 0) && wait < 50; wait++) await new Promise((resolve) => setTimeout(resolve, 20))
      const { undeliverable, failed, handled, running } = service.stats()
      return { outcome, reports, stats: { undeliverable, failed, handled, running } }
    } finally {
      await client.close()
      await service.close()
    }
  }

  it('is counted and reported alike with hooks and without, and the caller is left to its deadline', async () => {
    const refusal = (): Error => new KafkaIpcError('KIPC_TRANSPORT_ERROR', 'Kafka did not acknowledge the send before its deadline.', { retryable: true })
    const [plain, hooked] = [await refusedOnce(false, refusal), await refusedOnce(true, refusal)]
    assert.deepEqual(plain, hooked)
    assert.deepEqual(plain.outcome, { code: 'KIPC_TIMEOUT', status: 504, message: plain.outcome === undefined ? '' : (plain.outcome as { message: string }).message })
    assert.deepEqual(plain.reports, [{ code: 'KIPC_TRANSPORT_ERROR', kind: 'answer-undeliverable', phase: 'send', target: 'POST /ping', route: 'POST /ping', hasId: true, caller: 'caller' }])
    assert.deepEqual(plain.stats, { undeliverable: 1, failed: 0, handled: 0, running: 0 })
  })

  it('called invalid by the transport is the service\'s mistake: answered 500 KIPC_HANDLER_ERROR, with and without hooks', async () => {
    const refusal = (): Error => new KafkaIpcError('KIPC_INVALID_ARGUMENT', 'the record is not acceptable')
    const [plain, hooked] = [await refusedOnce(false, refusal), await refusedOnce(true, refusal)]
    assert.deepEqual(plain, hooked)
    assert.deepEqual(plain.outcome, { code: 'KIPC_HANDLER_ERROR', status: 500, message: "The handler's answer is invalid: the record is not acceptable" })
    assert.deepEqual(plain.stats, { undeliverable: 1, failed: 1, handled: 0, running: 0 })
    assert.deepEqual(plain.reports.map((report) => (report as { kind: string }).kind), ['answer-undeliverable', 'handler-failed'])
  })
})
