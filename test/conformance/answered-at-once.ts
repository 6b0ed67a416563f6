// A route whose service has no hooks and no tracer is answered without the full handling's async
// frames (src/core/pipeline/route-at-once.ts), and hands anything unusual on to it. Every outcome
// must be the same as with hooks, where the full handling runs from the start — and the handler
// must run once, whichever way the request went.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { route } from '../../src/core/contracts.ts'
import { reply } from '../../src/core/http/reply.ts'
import { KafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import type { Service } from '../../src/core/service.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

const cases = ['sync', 'async', 'throws', 'rejects', 'coded', 'invalid-reply', 'response', 'reply', 'context', 'late-schema', 'framing', 'too-large'] as const
type Case = (typeof cases)[number]

/** The same route on a service named `service`: what its handler does is the request's case. */
function caseRoute(service: string) {
  return route(service, 'POST /case/:case', {
    // An asynchronous refinement for one case: the schema then answers with a promise.
    body: z.object({ note: z.string() }).refine((body) => Promise.resolve(body.note !== 'refused-later'), { error: 'refused by the async check' }),
    reply: z.object({ ok: z.string() }),
  })
}

/** Registers the case handler on `app`, counting its runs by case. */
function handleCases(app: Service, runs: Map<string, number>): void {
  // Not an async function: the synchronous cases return and throw synchronously.
  app.handle(caseRoute(app.name), (request, context) => {
    const which = request.params['case'] as Case
    runs.set(which, (runs.get(which) ?? 0) + 1)
    switch (which) {
      case 'sync':
      case 'late-schema':
        return { ok: which }
      case 'async':
        return sleep(2).then(() => ({ ok: which }))
      case 'throws':
        throw new Error('thrown at once')
      case 'rejects':
        return sleep(1).then(() => Promise.reject(new Error('rejected later')))
      case 'coded':
        throw new KafkaIpcError('TEAPOT', 'short and stout', { status: 418 })
      case 'invalid-reply':
        return { ok: 42 } as unknown as { ok: string }
      case 'response':
        return new Response(JSON.stringify({ ok: which }), { status: 201, headers: { 'content-type': 'application/json', 'x-made': 'response' } })
      case 'reply':
        return reply({ ok: which }, { status: 202, headers: { 'x-made': 'reply' } })
      case 'context':
        context.status = 203
        context.setHeader('x-made', 'context')
        return { ok: which }
      case 'framing':
        // A record's length is its body's: the framing header goes, the other stays.
        context.setHeader('content-length', '3')
        context.setHeader('x-made', 'framing')
        return { ok: which }
      case 'too-large':
        // Past the policy's maxMessageBytes (1,000,000 by default): the reply cannot be built.
        return { ok: 'x'.repeat(1_000_001) }
    }
  })
}

/** What a caller sees of one request: status, the headers that tell the cases apart, body or error code. */
interface Seen {
  readonly status: number
  readonly made?: string | undefined
  readonly body?: unknown
  readonly code?: string | undefined
  readonly message?: string | undefined
  readonly length?: string
}

export function answeredAtOnceSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('requests answered without hooks', () => {
    it('end as they do with hooks, whatever the handler does, and run the handler once', async () => {
      const { service, client } = kit()
      const plainRuns = new Map<string, number>()
      const hookedRuns = new Map<string, number>()
      const plain = service('plain')
      handleCases(plain, plainRuns)
      const hooked = service('hooked')
      // Any hook makes the service take the full handling for every request.
      hooked.addHook('onResponse', () => undefined)
      handleCases(hooked, hookedRuns)
      await Promise.all([plain.listen(), hooked.listen()])
      const caller = client('caller')
      const ask = async (name: string, which: Case): Promise<Seen> => {
        const note = which === 'late-schema' ? 'refused-later' : 'hello'
        try {
          const answer = await caller.request(caseRoute(name), { params: { case: which }, body: { note } })
          return { status: answer.status, made: answer.headers['x-made'], body: answer.body, ...(answer.headers['content-length'] === undefined ? {} : { length: answer.headers['content-length'] }) }
        } catch (error) {
          const failure = error as { status?: number; code?: string; message?: string }
          return { status: failure.status ?? -1, code: failure.code, message: failure.message }
        }
      }
      for (const which of cases) {
        const [withoutHooks, withHooks] = await Promise.all([ask('plain', which), ask('hooked', which)])
        assert.deepEqual(withoutHooks, withHooks, `case ${which}`)
      }
      const seen = new Map(await Promise.all(cases.map(async (which) => [which, await ask('plain', which)] as const)))
      assert.deepEqual(seen.get('sync'), { status: 200, made: undefined, body: { ok: 'sync' } })
      assert.deepEqual(seen.get('async'), { status: 200, made: undefined, body: { ok: 'async' } })
      assert.deepEqual(seen.get('throws'), { status: 500, code: 'KIPC_HANDLER_ERROR', message: 'thrown at once' })
      assert.deepEqual(seen.get('rejects'), { status: 500, code: 'KIPC_HANDLER_ERROR', message: 'rejected later' })
      assert.deepEqual(seen.get('coded'), { status: 418, code: 'TEAPOT', message: 'short and stout' })
      assert.equal(seen.get('invalid-reply')?.code, 'KIPC_INVALID_REPLY')
      assert.equal(seen.get('invalid-reply')?.status, 502)
      assert.deepEqual(seen.get('response'), { status: 201, made: 'response', body: { ok: 'response' } })
      assert.deepEqual(seen.get('reply'), { status: 202, made: 'reply', body: { ok: 'reply' } })
      assert.deepEqual(seen.get('context'), { status: 203, made: 'context', body: { ok: 'context' } })
      assert.equal(seen.get('late-schema')?.code, 'KIPC_BAD_REQUEST')
      assert.equal(seen.get('late-schema')?.status, 400)
      assert.deepEqual(seen.get('framing'), { status: 200, made: 'framing', body: { ok: 'framing' } })
      assert.equal(seen.get('too-large')?.code, 'KIPC_PAYLOAD_TOO_LARGE')
      // Two requests per case to the service without hooks, one to the other; none for a body refused.
      const expected = new Map(cases.filter((which) => which !== 'late-schema').map((which) => [which, 2]))
      assert.deepEqual(plainRuns, expected)
      assert.deepEqual(hookedRuns, new Map([...expected].map(([which]) => [which, 1])))
      // A request finishes when the broker has its reply, which the caller may read first.
      await waitUntil(() => plain.stats().running === 0 && hooked.stats().running === 0, 'every request finished on both services')
    })
  })
}
