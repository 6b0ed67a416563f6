import { Buffer } from 'node:buffer'
import { createServer, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http'
import { duplexPair, Readable } from 'node:stream'
import { nullBodyStatuses } from '../core/http/web-messages.ts'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import type { FetchHandler } from '../core/pipeline/service-pipeline.ts'

/** A `node:http` request listener: an Express app, a Koa app's `callback()`, a bare `(req, res) => …`. */
export type NodeRequestListener = (request: IncomingMessage, response: ServerResponse) => unknown


/**
 * Serves a `node:http` request listener over Kafka — an Express app as it is, or any
 * `(req, res) => …` — through Node's own HTTP server and client, joined by an in-memory pipe (no
 * socket, no port): the app gets a genuine `IncomingMessage` and `ServerResponse` from a genuine
 * `http.Server`, so everything it does to them (Express swaps their prototypes) works as over a
 * network, and the same app can listen on a port at the same time. The response streams: a
 * chunked body reaches the caller as it is written; a cancel closes the connection, as a client
 * hanging up would.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { fromNodeHandler } from 'kafka-ipc/adapters'
 * const app = express().get('/quotes/:id', (req, res) => res.json({ id: req.params.id }))
 * createService({ name: 'pricing' }).mount(fromNodeHandler(app))
 * app.listen(3000) // the same app keeps serving HTTP
 * ```
 */
export function fromNodeHandler(listener: NodeRequestListener): FetchHandler {
  // How each in-memory connection's request fails when the app throws: by its server-side socket.
  const failures = new WeakMap<object, (error: unknown) => void>()
  // Never listens: connections are handed to it one request at a time. An app that throws would
  // throw inside Node's HTTP parser — and take the process down: the throw fails its request instead.
  const server = createServer((request, response) => {
    const fail = (error: unknown): void => {
      failures.get(request.socket)?.(error)
      response.destroy()
    }
    try {
      const result = listener(request, response)
      if (result instanceof Promise) result.catch(fail)
    } catch (error) {
      fail(error)
    }
  })
  return async (request) => {
    const url = new URL(request.url)
    const headers: Record<string, string> = {}
    for (const [name, value] of request.headers) headers[name] = value
    headers['host'] ??= url.host
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null
    const body = hasBody ? Buffer.from(await request.arrayBuffer()) : undefined
    return new Promise<Response>((resolve, reject) => {
      const [serverSide, clientSide] = duplexPair()
      failures.set(serverSide, (error) => {
        reject(new KafkaIpcError('KIPC_HANDLER_ERROR', `The app threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error }))
      })
      server.emit('connection', serverSide)
      const outgoing = httpRequest({ createConnection: () => clientSide, method: request.method, path: `${url.pathname}${url.search}`, headers, signal: request.signal })
      outgoing.on('response', (incoming) => {
        resolve(webResponse(incoming))
      })
      outgoing.on('error', reject)
      outgoing.end(body)
    })
  }
}

/** Node's response as a Web `Response`: status, every header as sent, and the body as a stream. */
function webResponse(incoming: IncomingMessage): Response {
  const headers = new Headers()
  const raw = incoming.rawHeaders
  for (let index = 0; index + 1 < raw.length; index += 2) headers.append(raw[index] ?? '', raw[index + 1] ?? '')
  const status = incoming.statusCode ?? 500
  if (nullBodyStatuses.has(status)) {
    incoming.resume()
    return new Response(null, { status, headers })
  }
  return new Response(Readable.toWeb(incoming) as ReadableStream<Uint8Array>, { status, headers })
}
