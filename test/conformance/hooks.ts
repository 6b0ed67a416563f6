// Hooks and plugins (docs/lifecycle.md): the order of the phases on both sides, a rejection from
// each phase that may reject reaching the caller with its code and status, headers a hook adds,
// hook failures reported with their phase, and a plugin whose hooks run for every kind of record.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { route } from '../../src/core/contracts.ts'
import type { FailureContext } from '../../src/core/failure.ts'
import { isKafkaIpcError, KafkaIpcError, RemoteError } from '../../src/core/kafka-ipc-error.ts'
import type { MessageInfo } from '../../src/core/pipeline/phases.ts'
import type { Service, ServicePlugin } from '../../src/core/service.ts'
import type { IncomingMessage } from '../../src/core/transport.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import { booked, countdown, echo, seatHold } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

const fails = route('echo', 'POST /fails', { body: z.object({ n: z.number() }) })

/** Adds a hook at every service phase that records `label:phase` for each record. */
function recordPhases(app: Service, seen: string[]): void {
  const note = (phase: string) => (context: MessageInfo): void => {
    seen.push(`${context.target}:${phase}`)
  }
  app.addHook('onReceive', note('onReceive'))
  app.addHook('preHandler', note('preHandler'))
  app.addHook('onSend', (context) => {
    seen.push(`${context.target}:onSend ${context.answer}`)
  })
  app.addHook('onError', (context) => {
    seen.push(`${context.target}:onError ${context.phase}`)
  })
  app.addHook('onResponse', (context) => {
    seen.push(`${context.target}:onResponse ${context.outcome}`)
  })
}

export function hooksSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('hooks and plugins', () => {
    it('runs the service phases in order for a reply, an error and an event, and the client phases for a call', async () => {
      const { service, client } = kit()
      const app = service('echo')
      const seen: string[] = []
      recordPhases(app, seen)
      app.handle(echo, (request) => {
        seen.push('POST /echo:handler')
        return { ...request.body, responder: 'r' }
      })
      app.handle(fails, () => {
        throw new Error('nope')
      })
      app.on(booked, () => {
        seen.push('booking.created:handler')
      })
      await app.listen()
      const caller = client('caller')
      caller.addHook('beforeSend', ({ kind, target }) => {
        seen.push(`client:beforeSend ${kind} ${target}`)
      })
      caller.addHook('onAnswer', ({ answer, status }) => {
        seen.push(`client:onAnswer ${answer} ${String(status)}`)
      })
      caller.addHook('onCallError', ({ error }) => {
        seen.push(`client:onCallError ${(error as KafkaIpcError).code}`)
      })
      await caller.call(echo, { body: { caller: 'c', n: 1 } })
      await waitUntil(() => seen.includes('POST /echo:onResponse answered'), 'the reply is done')
      const firstCall = seen.splice(0)
      assert.deepEqual(serviceSide(firstCall), ['POST /echo:onReceive', 'POST /echo:preHandler', 'POST /echo:handler', 'POST /echo:onSend reply', 'POST /echo:onResponse answered'])
      assert.deepEqual(firstCall.filter((entry) => entry.startsWith('client:')), ['client:beforeSend call echo POST /echo', 'client:onAnswer reply 200'])
      assert.ok(firstCall.indexOf('client:beforeSend call echo POST /echo') < firstCall.indexOf('POST /echo:onReceive'), 'the client hook runs before the record leaves')
      assert.ok(firstCall.indexOf('POST /echo:onSend reply') < firstCall.indexOf('client:onAnswer reply 200'), 'the answer is hooked on its way out before it is hooked on arrival')

      await assert.rejects(caller.call(fails, { body: { n: 1 } }), RemoteError)
      await waitUntil(() => seen.includes('POST /fails:onResponse failed') && seen.includes('client:onCallError KIPC_HANDLER_ERROR'), 'the failure is done')
      const failed = seen.splice(0)
      assert.deepEqual(serviceSide(failed), ['POST /fails:onReceive', 'POST /fails:preHandler', 'POST /fails:onError handler', 'POST /fails:onSend error', 'POST /fails:onResponse failed'])
      assert.deepEqual(new Set(failed.filter((entry) => entry.startsWith('client:'))), new Set(['client:beforeSend call echo POST /fails', 'client:onAnswer error 500', 'client:onCallError KIPC_HANDLER_ERROR']))

      await caller.emit(booked, { id: 'B1', seq: 1 })
      await waitUntil(() => seen.includes('booking.created:onResponse handled'), 'the event is done')
      assert.deepEqual(serviceSide(seen.splice(0)), ['booking.created:onReceive', 'booking.created:preHandler', 'booking.created:handler', 'booking.created:onResponse handled'])
    })

    it('a KafkaIpcError thrown in onReceive, preHandler, onSend or beforeSend reaches the caller with its code and status; nothing runs after it', async () => {
      const { service, client } = kit()
      const app = service('echo')
      let handled = 0
      app.handle(echo, (request) => {
        handled++
        return { ...request.body, responder: 'r' }
      })
      app.addHook('onReceive', ({ headers }) => {
        if (headers['x-reject'] === 'onReceive') throw new KafkaIpcError('UNAUTHORIZED', 'no token', { status: 401 })
      })
      app.addHook('preHandler', ({ headers, body }) => {
        if (headers['x-reject'] === 'preHandler') throw new KafkaIpcError('FORBIDDEN', `not for n=${String((body as { n: number }).n)}`, { status: 403 })
      })
      app.addHook('onSend', ({ headers, answer }) => {
        if (headers['x-reject'] === 'onSend' && answer === 'reply') throw new KafkaIpcError('CONFLICT', 'reply refused', { status: 409 })
      })
      await app.listen()
      const caller = client('caller')
      caller.addHook('beforeSend', ({ headers }) => {
        if (headers['x-reject'] === 'beforeSend') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', 'not sent')
      })
      const outcome = async (phase: string): Promise<unknown> => caller.call(echo, { body: { caller: 'c', n: 7 }, headers: { 'x-reject': phase } }).catch((error: unknown) => error)
      const received = await outcome('onReceive')
      assert.ok(received instanceof RemoteError && received.code === 'UNAUTHORIZED' && received.status === 401, String(received))
      const preHandled = await outcome('preHandler')
      assert.ok(preHandled instanceof RemoteError && preHandled.code === 'FORBIDDEN' && preHandled.status === 403 && preHandled.message === 'not for n=7', String(preHandled))
      assert.equal(handled, 0, 'no handler ran after a rejection before it')
      const sent = await outcome('onSend')
      assert.ok(sent instanceof RemoteError && sent.code === 'CONFLICT' && sent.status === 409, String(sent))
      assert.equal(handled, 1, 'the handler ran; its reply was refused')
      const before = await outcome('beforeSend')
      assert.ok(isKafkaIpcError(before, 'KIPC_INVALID_ARGUMENT') && !(before instanceof RemoteError), String(before))
      assert.equal(caller.stats().pending, 0)
      // A marker call: anything the refused call sent would have been handled before it.
      await caller.call(echo, { body: { caller: 'c', n: 8 } })
      assert.equal(handled, 2, 'the call refused by beforeSend sent nothing')
    })

    it('hooks add headers: beforeSend to the request the handler sees, onSend to the answer the caller reads', async () => {
      const { service, client, transport, policy } = kit()
      const app = service('echo')
      let seenByHandler: Record<string, string> = {}
      app.handle(echo, (request) => {
        seenByHandler = { ...request.headers }
        return { ...request.body, responder: 'r' }
      })
      app.addHook('onSend', ({ setHeader, answer }) => {
        setHeader('x-served-by', `echo ${answer}`)
      })
      await app.listen()
      const caller = client('caller')
      caller.addHook('beforeSend', ({ setHeader }) => {
        setHeader('x-tenant', 'acme')
      })
      const answerHeaders: Record<string, string>[] = []
      caller.addHook('onAnswer', ({ headers }) => {
        answerHeaders.push({ ...headers })
      })
      await caller.call(echo, { body: { caller: 'c', n: 1 }, headers: { 'x-own': 'kept' } })
      assert.deepEqual([seenByHandler['x-tenant'], seenByHandler['x-own']], ['acme', 'kept'])
      assert.deepEqual(answerHeaders, [{ 'content-type': 'application/json', 'x-served-by': 'echo reply' }], 'the caller’s onAnswer hook reads the header the responder’s onSend hook added')
      // The answer's headers, read raw from an inbox of our own.
      const reader = transport()
      const received: IncomingMessage[] = []
      const inbox = await reader.openInbox({ topic: topicNames.inbox(policy, 'raw', 'h'), retentionMs: 60_000, create: true, onError: () => undefined, onMessage: (message) => received.push(message) })
      await reader.send([buildMessage({ topic: topicNames.requests(policy, 'echo') }, 'request', { replyTo: inbox.address, deadline: Date.now() + 10_000, method: echo.method, path: echo.path, service: 'raw' }, { caller: 'c', n: 2 }, policy.codec, policy.maxMessageBytes)])
      await waitUntil(() => received.length === 1, 'the reply arrives')
      assert.equal(received[0]?.headers.get('x-served-by'), 'echo reply')
      await inbox.close(true)
    })

    it('a hook that fails with a plain error is KIPC_HOOK_FAILED to the caller, and every hook failure is reported with its phase', async () => {
      const reported: { error: unknown; context: FailureContext }[] = []
      const { service, client } = kit()
      const app = service('echo', { onError: (error, context) => reported.push({ error, context }) })
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      const checkQuota = ({ headers }: MessageInfo): void => {
        if (headers['x-break'] === 'yes') throw new TypeError('quota store down')
      }
      const countResponses = (): void => {
        throw new Error('metrics down')
      }
      app.addHook('onReceive', checkQuota)
      app.addHook('onResponse', countResponses)
      await app.listen()
      const caller = client('caller')
      const error: unknown = await caller.call(echo, { body: { caller: 'c', n: 1 }, headers: { 'x-break': 'yes' } }).catch((caught: unknown) => caught)
      assert.ok(error instanceof RemoteError && error.code === 'KIPC_HOOK_FAILED' && error.status === 500, String(error))
      assert.match(error.message, /the onReceive hook checkQuota failed: quota store down/)
      // An onResponse failure changes nothing for the caller: the reply came.
      assert.equal((await caller.call(echo, { body: { caller: 'c', n: 2 } })).n, 2)
      await waitUntil(() => reported.filter(({ context }) => context.phase === 'onResponse').length >= 2, 'onResponse failures are reported')
      assert.ok(reported.some(({ context, error: failure }) => context.phase === 'onReceive' && isKafkaIpcError(failure, 'KIPC_HOOK_FAILED') && context.messageId !== undefined))
      assert.ok(reported.filter(({ context }) => context.phase === 'onResponse').every(({ context }) => context.kind === 'handler-failed' && context.service === 'echo'))
    })

    it('a plugin registers hooks and handlers as one unit, and its hooks run for routes, streams, gathers and events', async () => {
      const { service, client } = kit()
      const kinds: string[] = []
      const audit: ServicePlugin<{ tag: string }> = (app, { tag }) => {
        app.addHook('onResponse', ({ kind, state }) => {
          kinds.push(`${kind}:${String(state['tag'])}`)
        })
        app.addHook('onReceive', ({ state }) => {
          state['tag'] = tag
        })
        app.handle(seatHold, (_request, context) => ({ carrier: String(context.state['tag']), seats: 1 }))
      }
      const app = service('echo').register(audit, { tag: 'audited' })
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      app.handle(countdown, async function* (request) {
        for (let n = request.body.from; n > 0; n--) yield await Promise.resolve({ n })
      })
      app.on(booked, () => undefined)
      await app.listen()
      const caller = client('caller')
      await caller.call(echo, { body: { caller: 'c', n: 1 } })
      const items: number[] = []
      for await (const item of caller.stream(countdown, { body: { from: 2 } })) items.push(item.n)
      const gathered = await caller.gather(seatHold, { body: { flight: 'LO1' }, expect: 1 })
      assert.deepEqual(gathered.answers.map((answer) => (answer.ok ? answer.reply.carrier : 'failed')), ['audited'], 'the handler read what the hook left in state')
      await caller.emit(booked, { id: 'B1', seq: 1 })
      await waitUntil(() => kinds.length === 4, 'every kind is done')
      assert.deepEqual([...kinds].sort(), ['event:audited', 'gather:audited', 'route:audited', 'stream:audited'])
    })

    it('a plugin decorates the service: every handler, of routes and events, reads the decoration from its context', async () => {
      const { service, client } = kit()
      const seen: unknown[] = []
      const withPricing: ServicePlugin<{ rate: number }> = (app, { rate }) => {
        app.decorate('pricing', { rate })
      }
      const app = service('echo').register(withPricing, { rate: 3 })
      app.handle(echo, (request, context) => {
        seen.push(context.decorations['pricing'])
        return { ...request.body, responder: 'r' }
      })
      app.on(booked, (_event, context) => {
        seen.push(context.decorations['pricing'])
      })
      assert.throws(() => app.decorate('pricing', 'again'), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /already has/.test(error.message))
      assert.throws(() => app.decorate('__proto__', {}), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
      await app.listen()
      assert.throws(() => app.decorate('late', 1), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /before listen/.test(error.message))
      const caller = client('caller')
      await caller.call(echo, { body: { caller: 'c', n: 1 } })
      await caller.emit(booked, { id: 'B1', seq: 1 })
      await waitUntil(() => seen.length === 2, 'both handlers ran')
      assert.deepEqual(seen, [{ rate: 3 }, { rate: 3 }])
      assert.equal(app.decorations['pricing'], seen[0], 'one object for every handler, not a copy per message')
    })

    it('refuses unknown phases, hooks that are not functions, async plugins and hooks added after listen()', async () => {
      const { service } = kit()
      const app = service('echo')
      // What a JavaScript caller, unchecked by types, can hand over.
      const asyncPlugin = (async () => {
        await Promise.resolve()
      }) as unknown as ServicePlugin
      assert.throws(() => app.addHook('onWhatever' as 'onReceive', () => undefined), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /onReceive, preHandler/.test(error.message))
      assert.throws(() => app.addHook('onReceive', 'nope' as unknown as () => void), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
      assert.throws(() => app.register(asyncPlugin), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /synchronously/.test(error.message))
      app.handle(echo, (request) => ({ ...request.body, responder: 'r' }))
      await app.listen()
      assert.throws(() => app.addHook('onReceive', () => undefined), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /before listen/.test(error.message))
    })
  })
}

/** The service-side entries only, in the order they happened. */
function serviceSide(seen: readonly string[]): string[] {
  return seen.filter((entry) => !entry.startsWith('client:'))
}
