// The HTTP shape crosses the transport whole: method (HEAD, OPTIONS too), path, query, headers both
// ways, status, and bodies typed by content-type; call() stays body-only, request() and fetch()
// see all of it; a mounted fetch-style app is served as it is.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Hono } from 'hono'
import { z } from 'zod'
import { gather, route, stream } from '../../src/core/contracts.ts'
import { reply } from '../../src/core/http/reply.ts'
import { isKafkaIpcError, RemoteError } from '../../src/core/kafka-ipc-error.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

const createBooking = route('shop', 'POST /bookings', { body: z.object({ seat: z.string() }), reply: z.object({ id: z.string(), seat: z.string() }) })
const searchFares = route('shop', 'GET /fares', { reply: z.object({ from: z.string().nullable(), seats: z.array(z.string()) }) })
const readNote = route('shop', 'PUT /notes/:id')
const options = route('shop', 'OPTIONS /fares')
const gone = route('shop', 'DELETE /bookings/:id')
const ticker = stream('shop', 'GET /ticker', { item: z.object({ n: z.number() }) })
const stock = gather('stock.count', { reply: z.object({ count: z.number() }) })

export function httpShapeSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('the HTTP shape', () => {
    it('a handler answers with a status and headers; call() gets the body, request() all three', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(createBooking, (req) => reply({ id: 'B1', seat: req.body.seat }, { status: 201, headers: { location: '/bookings/B1' } }))
      app.handle(gone, (_req, context) => {
        context.status = 204
        context.setHeader('x-deleted', 'yes')
      })
      await app.listen()
      const caller = client('web')
      assert.deepEqual(await caller.call(createBooking, { body: { seat: '1A' } }), { id: 'B1', seat: '1A' })
      const created = await caller.request(createBooking, { body: { seat: '2B' } })
      assert.equal(created.status, 201)
      assert.equal(created.headers['location'], '/bookings/B1')
      assert.equal(created.headers['content-type'], 'application/json')
      assert.deepEqual(created.body, { id: 'B1', seat: '2B' })
      const deleted = await caller.request(gone, { params: { id: 'B1' } })
      assert.deepEqual([deleted.status, deleted.headers['x-deleted'], deleted.body], [204, 'yes', undefined])
    })

    it('carries the query string to request.query', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(searchFares, (req) => ({ from: req.query.get('from'), seats: req.query.getAll('seat') }))
      await app.listen()
      const caller = client('web')
      assert.deepEqual(await caller.call(searchFares, { query: { from: 'WAW', seat: ['1A', '1B'] } }), { from: 'WAW', seats: ['1A', '1B'] })
      assert.deepEqual(await caller.call(searchFares, { query: new URLSearchParams('from=a%26b') }), { from: 'a&b', seats: [] })
      assert.deepEqual(await caller.call(searchFares), { from: null, seats: [] })
      const response = await caller.fetch('kafka://shop/fares?from=JFK&seat=9C')
      assert.deepEqual(await response.json(), { from: 'JFK', seats: ['9C'] })
      // A Request (or a URL) works as fetch's first argument does.
      assert.deepEqual(await (await caller.fetch(new Request('kafka://shop/fares?from=LHR'))).json(), { from: 'LHR', seats: [] })
      assert.deepEqual(await (await caller.fetch(new URL('kafka://shop/fares?seat=1A'))).json(), { from: null, seats: ['1A'] })
    })

    it('types bodies by content-type, both ways: JSON, text and bytes', async () => {
      const { service, client } = kit()
      const app = service('shop')
      const seen: unknown[] = []
      app.handle(readNote, (req) => {
        seen.push(req.body)
        if (typeof req.body === 'string') return reply(req.body.toUpperCase(), { headers: { 'content-type': 'text/plain; charset=utf-8' } })
        if (req.body instanceof Uint8Array) return reply(Uint8Array.from(req.body, (byte) => 255 - byte), { headers: { 'content-type': 'application/octet-stream' } })
        return { echoed: req.body }
      })
      await app.listen()
      const caller = client('web')
      const text = await caller.request(readNote, { params: { id: 'n1' }, body: 'hello', headers: { 'content-type': 'text/plain' } })
      assert.deepEqual([text.body, text.headers['content-type']], ['HELLO', 'text/plain; charset=utf-8'])
      const bytes = await caller.request(readNote, { params: { id: 'n2' }, body: new Uint8Array([0, 1, 254]) })
      assert.deepEqual([Array.from(bytes.body as Uint8Array), bytes.headers['content-type']], [[255, 254, 1], 'application/octet-stream'])
      const json = await caller.request(readNote, { params: { id: 'n3' }, body: { a: 1 }, headers: { 'content-type': 'application/vnd.shop+json' } })
      assert.deepEqual(json.body, { echoed: { a: 1 } })
      assert.deepEqual(seen[0], 'hello')
      assert.ok(seen[1] instanceof Uint8Array)
      // Unknown types travel as bytes.
      const image = await caller.fetch('kafka://shop/notes/n4', { method: 'PUT', body: new Uint8Array([9, 8]), headers: { 'content-type': 'image/png' } })
      assert.deepEqual(Array.from(new Uint8Array(await image.arrayBuffer())), [246, 247])
    })

    it('HEAD answers a GET route with its status and headers and no body; OPTIONS is a method like the others', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(searchFares, (_req, context) => {
        context.setHeader('x-fares', '2')
        return { from: null, seats: ['1A', '1B'] }
      })
      app.handle(options, () => reply(undefined, { status: 204, headers: { allow: 'GET, HEAD, OPTIONS' } }))
      await app.listen()
      const caller = client('web')
      const head = await caller.fetch('kafka://shop/fares', { method: 'HEAD' })
      assert.deepEqual([head.status, head.headers.get('x-fares'), head.headers.get('content-type'), await head.text()], [200, '2', 'application/json', ''])
      const allowed = await caller.fetch('kafka://shop/fares', { method: 'OPTIONS' })
      assert.deepEqual([allowed.status, allowed.headers.get('allow')], [204, 'GET, HEAD, OPTIONS'])
    })

    it('a reply of status 400 or more rejects call() with the code the status table names; request() resolves', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(searchFares, (req) => {
        const status = Number(req.query.get('status'))
        return reply({ from: null, seats: [] }, { status })
      })
      await app.listen()
      const caller = client('web')
      await assert.rejects(caller.call(searchFares, { query: { status: 404 } }), (error: unknown) => error instanceof RemoteError && error.code === 'KIPC_NOT_FOUND' && error.status === 404)
      await assert.rejects(caller.call(searchFares, { query: { status: 409 } }), (error: unknown) => error instanceof RemoteError && error.code === 'HTTP_409' && error.status === 409)
      assert.equal((await caller.request(searchFares, { query: { status: 409 } })).status, 409)
    })

    it('fetch() reaches typed routes: JSON in and out, remote errors as their status, a stream as a streaming body', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(createBooking, (req) => reply({ id: 'B7', seat: req.body.seat }, { status: 201 }))
      app.handle(ticker, async function* () {
        for (let n = 1; n <= 3; n++) {
          await sleep(5)
          yield { n }
        }
      })
      await app.listen()
      const caller = client('web')
      const created = await caller.fetch('kafka://shop/bookings', { method: 'POST', body: JSON.stringify({ seat: '3C' }), headers: { 'content-type': 'application/json' } })
      assert.deepEqual([created.status, created.headers.get('content-type'), await created.json()], [201, 'application/json', { id: 'B7', seat: '3C' }])
      const invalid = await caller.fetch('kafka://shop/bookings', { method: 'POST', body: JSON.stringify({ seat: 3 }), headers: { 'content-type': 'application/json' } })
      assert.equal(invalid.status, 400)
      assert.equal(((await invalid.json()) as { code: string }).code, 'KIPC_BAD_REQUEST')
      const notFound = await caller.fetch('kafka://shop/nowhere')
      assert.deepEqual([notFound.status, ((await notFound.json()) as { code: string }).code], [404, 'KIPC_NOT_FOUND'])
      const streamed = await caller.fetch('kafka://shop/ticker')
      assert.equal(streamed.headers.get('content-type'), 'application/x-ndjson')
      assert.deepEqual((await streamed.text()).trim().split('\n').map((line) => JSON.parse(line) as unknown), [{ n: 1 }, { n: 2 }, { n: 3 }])
    })

    it('fetch() rejects with the signal reason when aborted, and with KIPC_TIMEOUT past its timeout', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(searchFares, async (_req, context) => {
        await sleep(400, undefined, { signal: context.signal })
        return { from: null, seats: [] }
      })
      await app.listen()
      const caller = client('web')
      await assert.rejects(caller.fetch('kafka://shop/fares', { signal: AbortSignal.timeout(100) }), (error: unknown) => error instanceof DOMException && error.name === 'TimeoutError')
      await assert.rejects(caller.fetch('kafka://shop/fares', { timeout: 100 }), (error: unknown) => isKafkaIpcError(error, 'KIPC_TIMEOUT'))
      await assert.rejects(caller.fetch('https://shop/fares'), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
      assert.equal(caller.stats().pending, 0)
    })

    it('an aborted signal ends a streaming body with its reason and tells the responder to stop', async () => {
      const { service, client } = kit()
      let closed = false
      const app = service('shop')
      app.handle(ticker, async function* (_req, context) {
        try {
          for (let n = 1; ; n++) {
            await sleep(20, undefined, { signal: context.signal })
            yield { n }
          }
        } finally {
          closed = true
        }
      })
      await app.listen()
      const caller = client('web')
      const controller = new AbortController()
      const response = await caller.fetch('kafka://shop/ticker', { signal: controller.signal })
      const reader = response.body?.getReader()
      assert.ok(reader)
      assert.equal(new TextDecoder().decode((await reader.read()).value as Uint8Array), '{"n":1}\n')
      controller.abort(new Error('enough'))
      await assert.rejects(async () => {
        for (;;) if ((await reader.read()).done) return
      }, /enough/)
      await waitUntil(() => closed, "the responder's generator is closed")
      await waitUntil(() => caller.stats().pending === 0, 'nothing pending')
    })

    it("a stream handler's headers reach the caller; HEAD is not served by a stream route", async () => {
      const { service, client } = kit()
      let runs = 0
      const app = service('shop')
      app.handle(ticker, async function* (_req, context) {
        runs++
        context.setHeader('x-feed', 'ticks')
        await sleep(1)
        yield { n: 1 }
      })
      await app.listen()
      const caller = client('web')
      const response = await caller.fetch('kafka://shop/ticker')
      assert.deepEqual([response.headers.get('x-feed'), await response.text()], ['ticks', '{"n":1}\n'])
      assert.equal((await caller.fetch('kafka://shop/ticker', { method: 'HEAD' })).status, 404)
      assert.equal(runs, 1)
    })

    it("a handler's malformed answer is its own error (500), never the caller's (400)", async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(readNote, (req) => {
        if (req.params.id === 'header') return reply('x', { headers: { 'bad header': 'x' } })
        if (req.params.id === 'status') return reply('x', { status: 101 })
        return reply({ an: 'object' }, { headers: { 'content-type': 'text/plain' } })
      })
      await app.listen()
      const caller = client('web')
      for (const id of ['header', 'status', 'text']) {
        await assert.rejects(caller.call(readNote, { params: { id } }), (error: unknown) => error instanceof RemoteError && error.code === 'KIPC_HANDLER_ERROR' && error.status === 500, id)
      }
    })

    it('fetch() passes a streamed or undecodable JSON body on as its bytes', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.mount((request) => {
        const url = new URL(request.url)
        if (url.pathname === '/broken') return new Response('{"not": json', { status: 418, headers: { 'content-type': 'application/json' } })
        const parts = ['[{"a":', '1},', '{"a":2}]']
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            await sleep(25)
            const part = parts.shift()
            if (part === undefined) controller.close()
            else controller.enqueue(new TextEncoder().encode(part))
          },
        })
        return new Response(body, { headers: { 'content-type': 'application/json' } })
      })
      await app.listen()
      const caller = client('web')
      const streamed = await caller.fetch('kafka://shop/list')
      assert.deepEqual([streamed.headers.get('content-type'), await streamed.json()], ['application/json', [{ a: 1 }, { a: 2 }]])
      const broken = await caller.fetch('kafka://shop/broken')
      assert.deepEqual([broken.status, await broken.text()], [418, '{"not": json'])
    })

    it('refuses a chosen id already waiting, and rejects fetch as fetch does: an aborted signal with its reason, a bad URL typed', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(searchFares, async () => {
        await sleep(200)
        return { from: null, seats: [] }
      })
      app.handle(stock, () => reply({ count: 0 }, { status: 503 }))
      await app.listen()
      const caller = client('web')
      const id = 'order-7f3a9c2e-retry-safe'
      const first = caller.call(searchFares, { id })
      await assert.rejects(caller.call(searchFares, { id }), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
      assert.deepEqual(await first, { from: null, seats: [] })
      const reason = new Error('not any more')
      await assert.rejects(caller.fetch('kafka://shop/fares', { signal: AbortSignal.abort(reason) }), (error: unknown) => error === reason)
      await assert.rejects(caller.fetch('not a url'), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
      await assert.rejects(caller.fetch(`kafka://shop/fares?q=${'x'.repeat(9000)}`), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
      // A gathered answer of status 400 or more is a failed answer, read by the status table.
      const { answers } = await caller.gather(stock, { expect: 1 })
      assert.deepEqual(answers.map((answer) => [answer.ok, answer.ok ? undefined : answer.error.code]), [[false, 'KIPC_UNAVAILABLE']])
    })

    it('a deadline that ends a slow body is a timeout, never a short 200; a signal aborted while the inbox opens cancels the call', async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.mount(() => {
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            await sleep(400)
            controller.enqueue(new TextEncoder().encode('late'))
            controller.close()
          },
        })
        return new Response(body)
      })
      app.handle(gone, (_req, context) => {
        // Framing is the record's own: a handler's content-length does not cross.
        context.setHeader('content-length', '5')
        context.status = 204
      })
      await app.listen()
      const caller = client('web')
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => caller.fetch('kafka://shop/slow', { timeout: 150 })))
      assert.deepEqual(
        results.map((result) => (result.status === 'rejected' && isKafkaIpcError(result.reason, 'KIPC_TIMEOUT') ? 'timeout' : 'answered')),
        ['timeout', 'timeout', 'timeout', 'timeout', 'timeout'],
      )
      // The service sent nothing for them: a body cut by the deadline is not a reply.
      await waitUntil(() => app.stats().cancelled === 5, 'every slow body ended as timed out on the service')
      assert.equal(app.stats().handled, 0)
      const deleted = await caller.fetch('kafka://shop/bookings/B1', { method: 'DELETE' })
      assert.deepEqual([deleted.status, deleted.headers.get('content-length')], [204, null])
      const fresh = client('late')
      const controller = new AbortController()
      const call = fresh.fetch('kafka://shop/bookings/B2', { method: 'DELETE', signal: controller.signal })
      queueMicrotask(() => {
        controller.abort(new Error('changed my mind'))
      })
      await assert.rejects(call, /changed my mind/)
    })

    it("fetch() takes a reply's bytes undecoded, unless an onAnswer hook reads the body", async () => {
      const { service, client } = kit()
      const app = service('shop')
      app.handle(createBooking, (req) => ({ id: 'B9', seat: req.body.seat }))
      await app.listen()
      const init = { method: 'POST', body: JSON.stringify({ seat: '9F' }), headers: { 'content-type': 'application/json' } }
      const seen: unknown[] = []
      const hooked = client('hooked').addHook('onAnswer', ({ body }) => {
        seen.push(body)
      })
      assert.deepEqual(await (await hooked.fetch('kafka://shop/bookings', init)).json(), { id: 'B9', seat: '9F' })
      assert.deepEqual(seen, [{ id: 'B9', seat: '9F' }])
      assert.deepEqual(await (await client('plain').fetch('kafka://shop/bookings', init)).json(), { id: 'B9', seat: '9F' })
    })

    it('serves a mounted fetch-style app (Hono) as it is: params, query, headers, status, JSON and bytes, thrown errors', async () => {
      const { service, client } = kit()
      const api = new Hono()
      api.get('/quotes/:currency', (c) => c.json({ currency: c.req.param('currency'), to: c.req.query('to') ?? null, tenant: c.req.header('x-tenant') ?? null }))
      api.post('/quotes', async (c) => c.json({ got: await c.req.json<unknown>() }, 201, { location: '/quotes/1' }))
      api.put('/blobs/:id', async (c) => c.body(new Uint8Array(await c.req.arrayBuffer()).reverse(), 200, { 'content-type': 'application/octet-stream' }))
      api.get('/boom', () => {
        throw new Error('boom')
      })
      api.onError((error, c) => c.json({ error: error.message }, 500))
      const app = service('shop')
      app.handle(createBooking, (req) => ({ id: 'typed', seat: req.body.seat }))
      app.mount(api.fetch)
      await app.listen()
      const caller = client('web')
      const quote = await caller.fetch('kafka://shop/quotes/EUR?to=JFK', { headers: { 'x-tenant': 't1' } })
      assert.deepEqual([quote.status, await quote.json()], [200, { currency: 'EUR', to: 'JFK', tenant: 't1' }])
      const posted = await caller.fetch('kafka://shop/quotes', { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } })
      assert.deepEqual([posted.status, posted.headers.get('location'), await posted.json()], [201, '/quotes/1', { got: { a: 1 } }])
      const blob = await caller.fetch('kafka://shop/blobs/x', { method: 'PUT', body: new Uint8Array([1, 2, 3]) })
      assert.deepEqual(Array.from(new Uint8Array(await blob.arrayBuffer())), [3, 2, 1])
      const boom = await caller.fetch('kafka://shop/boom')
      assert.deepEqual([boom.status, await boom.json()], [500, { error: 'boom' }])
      assert.equal((await caller.fetch('kafka://shop/none')).status, 404)
      // Typed routes still win over the mount.
      assert.deepEqual(await caller.call(createBooking, { body: { seat: '1A' } }), { id: 'typed', seat: '1A' })
    })

    it('streams a mounted app body that keeps coming, and cancelling the body stops the responder', async () => {
      const { service, client } = kit()
      let cancelled = false
      const app = service('shop')
      app.mount((request) => {
        const url = new URL(request.url)
        const count = Number(url.searchParams.get('count'))
        let n = 0
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            await sleep(30)
            n++
            controller.enqueue(new TextEncoder().encode(`data: ${n}\n\n`))
            if (n === count) controller.close()
          },
          cancel() {
            cancelled = true
          },
        })
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
      })
      await app.listen()
      const caller = client('web')
      const events = await caller.fetch('kafka://shop/events?count=3')
      assert.equal(events.headers.get('content-type'), 'text/event-stream')
      assert.equal(await events.text(), 'data: 1\n\ndata: 2\n\ndata: 3\n\n')
      const endless = await caller.fetch('kafka://shop/events?count=1000')
      const reader = endless.body?.getReader()
      assert.ok(reader)
      assert.equal(new TextDecoder().decode((await reader.read()).value as Uint8Array), 'data: 1\n\n')
      await reader.cancel()
      await waitUntil(() => cancelled, 'the responder body is cancelled')
      await waitUntil(() => caller.stats().pending === 0, 'nothing pending')
    })
  })
}
