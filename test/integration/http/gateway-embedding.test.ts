// The gateway is a fetch handler, so it mounts inside other HTTP frameworks: the embeddings of
// docs/gateway.md for Hono and Fastify, served on loopback ports and called with Node's fetch.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import { createGateway, type Gateway } from '../../../src/http/gateway/gateway.ts'
import { useKafka } from '../../support/kafka.ts'
import { bodyText, exposed, type Fleet, serveOnLoopback, startFleet } from './gateway-services.ts'

const brokers = useKafka()

describe('the HTTP gateway inside other frameworks', { timeout: 60_000 }, () => {
  let fleet: Fleet
  let gateway: Gateway

  before(async () => {
    fleet = await startFleet(brokers())
    gateway = createGateway({ client: fleet.client, expose: exposed, basePath: '/api' })
  })
  after(async () => {
    await fleet.close()
  })

  it('Hono: app.all("/api/*") hands the raw request to the gateway, beside the app\'s own routes', async () => {
    const app = new Hono()
    app.get('/health', (c) => c.text('ok'))
    app.all('/api/*', (c) => gateway(c.req.raw))
    const server = await serveOnLoopback(app.fetch)
    try {
      await expectForwarding(server.url)
      assert.equal(await (await fetch(`${server.url}/health`)).text(), 'ok')
    } finally {
      await server.close()
    }
  })

  it('Fastify: a scope without body parsers hands a Web Request to the gateway and sends its Response', async () => {
    const app = fastifyWithGateway(gateway)
    app.get('/health', () => 'ok')
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    assert.ok(address !== null && typeof address === 'object')
    const url = `http://127.0.0.1:${String(address.port)}`
    try {
      await expectForwarding(url)
      assert.equal(await (await fetch(`${url}/health`)).text(), 'ok')
    } finally {
      await app.close()
    }
  })
})

/** A JSON POST, a 404 for what is not exposed, and a stream as server-sent events, through `base`. */
async function expectForwarding(base: string): Promise<void> {
  const created = await fetch(`${base}/api/pricing/quotes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'AMS' }) })
  assert.equal(created.status, 201)
  assert.equal(((await created.json()) as { to: string }).to, 'AMS')
  const hidden = await fetch(`${base}/api/secret/data`)
  assert.equal(hidden.status, 404)
  assert.equal(((await hidden.json()) as { code: string }).code, 'KIPC_NOT_FOUND')
  const events = await fetch(`${base}/api/pricing/quotes/Q1/fares`, { headers: { accept: 'text/event-stream' } })
  assert.equal(events.headers.get('content-type'), 'text/event-stream')
  assert.equal(await bodyText(events).rest(), 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\n')
}

/** The Fastify embedding of docs/gateway.md, as written there. */
function fastifyWithGateway(gateway: Gateway): FastifyInstance {
  const app = Fastify()
  void app.register((scope, _options, done) => {
    // The gateway reads the body itself (and limits it): leave it unparsed in this scope.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, parsed) => {
      parsed(null)
    })
    scope.all('/api/*', async (request, reply) => {
      const headers = new Headers()
      for (const [name, value] of Object.entries(request.headers)) {
        for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one)
      }
      const gone = new AbortController()
      reply.raw.on('close', () => {
        gone.abort()
      })
      const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
      const body = hasBody ? (Readable.toWeb(request.raw) as ReadableStream<Uint8Array>) : null
      const response = await gateway(new Request(`http://${request.host}${request.url}`, { method: request.method, headers, body, duplex: 'half', signal: gone.signal }))
      return reply.send(response)
    })
    done()
  })
  return app
}
