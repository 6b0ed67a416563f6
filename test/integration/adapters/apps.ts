// The same small API written three times, as people write it today — in Fastify, in Express, and
// as a bare node:http listener — so the adapter tests can serve each over Kafka and over HTTP.
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import express, { type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { Hono } from 'hono'

/** Counts of stream chunks an app has produced, so a test can see a cancel stop them. */
export interface StreamProbe {
  produced: number
  closed: boolean
}

/** Chunks of a slow download, `count` of them, `gapMs` apart. */
function ticks(count: number, gapMs: number, probe: StreamProbe): Readable {
  return Readable.from(
    (async function* () {
      try {
        for (let n = 1; n <= count; n++) {
          await sleep(gapMs)
          probe.produced++
          yield `tick ${n}\n`
        }
      } finally {
        probe.closed = true
      }
    })(),
  )
}

export function fastifyApp(probe: StreamProbe): FastifyInstance {
  const app = Fastify()
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body)
  })
  app.get<{ Params: { id: string }; Querystring: { detail?: string } }>('/items/:id', async (request, reply) => {
    reply.header('x-served-by', 'fastify')
    return { id: request.params.id, detail: request.query.detail ?? null, tenant: request.headers['x-tenant'] ?? null }
  })
  app.post<{ Body: { name: string } }>('/items', async (request, reply) => {
    reply.code(201).header('location', '/items/7')
    return { created: request.body }
  })
  app.put<{ Body: Buffer }>('/blobs/:id', async (request, reply) => {
    reply.type('application/octet-stream')
    return Buffer.from(request.body).reverse()
  })
  app.delete('/items/:id', (_request, reply) => {
    void reply.code(204).send()
  })
  app.get('/boom', () => {
    throw new Error('boom')
  })
  app.get<{ Querystring: { count: string } }>('/ticks', (request, reply) => {
    reply.type('text/plain; charset=utf-8')
    return reply.send(ticks(Number(request.query.count), 30, probe))
  })
  return app
}

export function expressApp(probe: StreamProbe): express.Express {
  const app = express()
  app.use(express.json())
  app.use(express.raw({ type: 'application/octet-stream' }))
  app.get('/items/:id', (request, response) => {
    response.set('x-served-by', 'express')
    response.json({ id: request.params.id, detail: typeof request.query['detail'] === 'string' ? request.query['detail'] : null, tenant: request.get('x-tenant') ?? null })
  })
  app.post('/items', (request, response) => {
    response.status(201).location('/items/7').json({ created: request.body as unknown })
  })
  app.put('/blobs/:id', (request, response) => {
    response.type('application/octet-stream').send(Buffer.from(request.body as Buffer).reverse())
  })
  app.delete('/items/:id', (_request, response) => {
    response.status(204).end()
  })
  app.get('/boom', () => {
    throw new Error('boom')
  })
  app.get('/ticks', (request, response) => {
    response.type('text/plain; charset=utf-8')
    pipeline(ticks(Number(request.query['count']), 30, probe), response, () => undefined)
  })
  // Express tells an error handler by its four parameters, the last unused.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((error: Error, _request: ExpressRequest, response: ExpressResponse, _next: NextFunction) => {
    response.status(500).json({ error: error.message })
  })
  return app
}

/** The API as a Hono app: a fetch-style handler, mounted over Kafka with no adapter. */
export function honoApp(probe: StreamProbe): Hono {
  const app = new Hono()
  app.get('/items/:id', (c) => c.json({ id: c.req.param('id'), detail: c.req.query('detail') ?? null, tenant: c.req.header('x-tenant') ?? null }, 200, { 'x-served-by': 'hono' }))
  app.post('/items', async (c) => c.json({ created: await c.req.json<unknown>() }, 201, { location: '/items/7' }))
  app.put('/blobs/:id', async (c) => c.body(new Uint8Array(await c.req.arrayBuffer()).reverse(), 200, { 'content-type': 'application/octet-stream' }))
  app.delete('/items/:id', (c) => c.body(null, 204))
  app.get('/boom', () => {
    throw new Error('boom')
  })
  app.get('/ticks', (c) => {
    const source = ticks(Number(c.req.query('count')), 30, probe)
    return c.body(Readable.toWeb(source) as ReadableStream<Uint8Array>, 200, { 'content-type': 'text/plain; charset=utf-8' })
  })
  app.onError((error, c) => c.json({ error: error.message }, 500))
  return app
}

/** The API on node:http alone, with its own little router. */
export function nodeListener(probe: StreamProbe): RequestListener {
  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  }
  const readBody = async (request: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  }
  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const [, first, id] = url.pathname.split('/')
    void (async () => {
      if (request.method === 'GET' && first === 'items' && id !== undefined) {
        json(response, 200, { id: decodeURIComponent(id), detail: url.searchParams.get('detail'), tenant: request.headers['x-tenant'] ?? null }, { 'x-served-by': 'node' })
      } else if (request.method === 'POST' && url.pathname === '/items') {
        json(response, 201, { created: JSON.parse((await readBody(request)).toString()) as unknown }, { location: '/items/7' })
      } else if (request.method === 'PUT' && first === 'blobs') {
        response.writeHead(200, { 'content-type': 'application/octet-stream' }).end((await readBody(request)).reverse())
      } else if (request.method === 'DELETE' && first === 'items') {
        response.writeHead(204).end()
      } else if (url.pathname === '/boom') {
        throw new Error('boom')
      } else if (url.pathname === '/ticks') {
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        pipeline(ticks(Number(url.searchParams.get('count')), 30, probe), response, () => undefined)
      } else {
        json(response, 404, { error: 'not found' })
      }
    })().catch((error: unknown) => {
      json(response, 500, { error: (error as Error).message })
    })
  }
}

/** Serves a listener on a free loopback port; returns its base URL and how to stop it. */
export async function listenHttp(listener: RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${String(address.port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}
