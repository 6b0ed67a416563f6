import type { FetchHandler } from '../core/pipeline/service-pipeline.ts'
import { fromNodeHandler, type NodeRequestListener } from './node-handler.ts'

/** What the adapter needs of a Fastify instance (so no Fastify types are imported): `ready()` and `routing`. */
export interface FastifyLike {
  ready(): PromiseLike<unknown>
  /** The request handler Fastify's own HTTP server calls (documented as `fastify.routing`). */
  readonly routing: NodeRequestListener
}

/**
 * Serves a Fastify app over Kafka: each request goes to the handler Fastify's own server calls
 * (`fastify.routing`, what `inject()` uses too), through {@link fromNodeHandler} — so every
 * route, hook, plugin, schema and error handler runs as it does for HTTP, and a streamed reply
 * (`reply.send(stream)`) streams. The app becomes ready on the first request; it may listen on a
 * port at the same time.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { fromFastify } from 'kafka-ipc/adapters'
 * const app = Fastify().get('/quotes/:id', async (request) => ({ id: (request.params as { id: string }).id }))
 * createService({ name: 'pricing' }).mount(fromFastify(app))
 * await app.listen({ port: 3000 }) // the same app keeps serving HTTP
 * ```
 */
export function fromFastify(app: FastifyLike): FetchHandler {
  let ready: PromiseLike<unknown> | undefined
  const handle = fromNodeHandler((request, response) => app.routing(request, response))
  return async (request, context) => {
    await (ready ??= app.ready())
    return handle(request, context)
  }
}
