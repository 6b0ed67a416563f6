// A cancelled stream stops the instance that produces it, because of the cancel: two responder
// instances, a deadline far longer than the test waits, and a record of every item the producing
// instance sends, so a cancel that reached the wrong instance, or only the deadline, fails here.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { isKafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import type { Transport } from '../../src/core/transport.ts'
import { wireHeader } from '../../src/core/protocol/envelope.ts'
import { interceptSends } from '../support/intercepted-transport.ts'
import { countdown, slow } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitForSettledGroup, waitUntil } from './request-reply.ts'
import { envelopeField } from '../../src/core/protocol/packed-envelope.ts'

/** What one responder instance did, in order: items sent, and how its generator ended. */
type Trace = string[]

/** A transport that appends `send item` to the trace for every stream record it sends. */
function tracing(inner: Transport, trace: Trace): Transport {
  return interceptSends(inner, (messages, options) => {
    for (const message of messages) {
      const kind = envelopeField(message.headers, wireHeader.kind)
      if (kind === 'item' || kind === 'items' || kind === 'end') trace.push(`send ${kind}`)
    }
    return inner.send(messages, options)
  })
}

export function streamCancelSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('stream cancel', () => {
    for (const how of ['break', 'signal'] as const) {
      it(`${how === 'break' ? 'leaving the loop' : 'an AbortSignal'} stops exactly the producing instance, by the cancel and not the deadline, and it sends nothing after`, async () => {
        const { service, client, transport, policy } = kit()
        const traces = new Map<string, Trace>([
          ['r1', []],
          ['r2', []],
        ])
        const apps = [...traces].map(([instance, trace]) => {
          const app = service('echo', { instanceId: instance, transport: tracing(transport(), trace) })
          app.handle(countdown, async function* (request, context) {
            try {
              for (let n = request.body.from; n > 0; n--) {
                await sleep(request.body.delayMs ?? 0)
                yield { n }
              }
              trace.push('finished')
            } finally {
              const reason: unknown = context.signal.reason
              trace.push(`finally ${isKafkaIpcError(reason) ? reason.code : 'no-abort'}`)
            }
          })
          return app
        })
        await Promise.all(apps.map((app) => app.listen()))
        await waitForSettledGroup(apps, topicNames.requests(policy, 'echo'), policy.partitions)
        const controller = new AbortController()
        const received: number[] = []
        const outcome: unknown = await (async () => {
          // A minute: the test is over long before, so only the cancel can end the generator.
          for await (const item of client('caller').stream(countdown, { body: { from: 10_000, delayMs: 20 }, timeout: 60_000, ...(how === 'signal' ? { signal: controller.signal } : {}) })) {
            received.push(item.n)
            if (received.length === 5) {
              if (how === 'break') break
              controller.abort()
            }
          }
        })().catch((error: unknown) => error)
        if (how === 'signal') assert.ok(isKafkaIpcError(outcome, 'KIPC_CANCELLED'), String(outcome))
        await waitUntil(() => [...traces.values()].some((trace) => trace.some((entry) => entry.startsWith('finally'))), "the producing instance's finally ran")
        const producers = [...traces].filter(([, trace]) => trace.length > 0)
        assert.equal(producers.length, 1, 'one instance produced the stream; the other did nothing')
        const [[, trace] = ['', []]] = producers
        const ended = trace.findIndex((entry) => entry.startsWith('finally'))
        assert.equal(trace[ended], 'finally KIPC_CANCELLED', `ended by the cancel: ${trace.join(', ')}`)
        assert.ok(!trace.includes('finished'))
        // The responder counts the cancel once it has finished with the request: after that nothing
        // of this stream can be sent, so the trace is complete.
        await waitUntil(() => apps.some((app) => app.stats().cancelled === 1), 'the responder finished with the cancelled request')
        assert.deepEqual(trace.slice(ended + 1), [], 'nothing is sent after the generator closed')
        assert.ok(trace.filter((entry) => entry.startsWith('send')).length < 200, 'it stopped soon after the cancel, not near the end of 10,000 items')
        assert.deepEqual(received.slice(0, 5), [10_000, 9_999, 9_998, 9_997, 9_996])
      })
    }

    it('a cancel naming no running request is ignored; one naming a running route request aborts its handler', async () => {
      const { service, client, transport, policy } = kit()
      const app = service('echo')
      const reasons: string[] = []
      app.handle(countdown, async function* (request) {
        for (let n = request.body.from; n > 0; n--) {
          await sleep(request.body.delayMs ?? 0)
          yield { n }
        }
      })
      app.handle(slow, async (request, context) => {
        await sleep(request.body.ms, undefined, { signal: context.signal }).catch(() => {
          const reason: unknown = context.signal.reason
          reasons.push(isKafkaIpcError(reason) ? reason.code : 'other')
        })
        return { done: true }
      })
      await app.listen()
      const caller = client('caller')
      const writer = transport()
      const target = topicNames.allowedInbox(policy, app.client.address ?? '')
      assert.ok(target, 'the service has an inbox for cancels')
      const cancel = (correlation: string) => ({ ...buildMessage(target, 'cancel', { correlation, service: 'caller' }, undefined, policy.codec, policy.maxMessageBytes), partition: target.partition })
      const items: number[] = []
      for await (const item of caller.stream(countdown, { body: { from: 5, delayMs: 50 }, timeout: 30_000 })) {
        if (items.length === 0) await writer.send([cancel('no-such-request')])
        items.push(item.n)
      }
      assert.deepEqual(items, [5, 4, 3, 2, 1], 'the stream ran to its end')
      // The route request's id, as a raw caller would know it: its own record.
      const id = 'route-request-to-cancel'
      const inbox = await writer.openInbox({ topic: topicNames.inbox(policy, 'raw', 'c'), retentionMs: 60_000, create: true, onError: () => undefined, onMessage: () => undefined })
      await writer.send([buildMessage({ topic: topicNames.requests(policy, 'echo') }, 'request', { replyTo: inbox.address, deadline: Date.now() + 30_000, method: slow.method, path: slow.path, service: 'raw' }, { ms: 20_000 }, policy.codec, policy.maxMessageBytes, undefined, id)])
      await waitUntil(() => app.stats().running === 1, 'the route handler runs')
      await writer.send([cancel(id)])
      await waitUntil(() => reasons.length === 1, 'the handler saw its signal abort')
      assert.deepEqual(reasons, ['KIPC_CANCELLED'])
      await inbox.close(true)
    })
  })
}
