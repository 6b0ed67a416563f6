/**
 * Adapters that serve existing HTTP apps over Kafka, unchanged: mount them on a service with
 * `service.mount(…)`. A Hono app (or any fetch-style handler) needs none: mount its `fetch`.
 *
 * @example
 * ```ts
 * import { fromFastify, fromNodeHandler } from 'kafka-ipc/adapters'
 * createService({ name: 'pricing' }).mount(fromFastify(fastifyApp))
 * createService({ name: 'billing' }).mount(fromNodeHandler(expressApp))
 * ```
 */
export { fromFastify, type FastifyLike } from './fastify.ts'
export { fromNodeHandler, type NodeRequestListener } from './node-handler.ts'
export type { FetchHandler } from '../core/pipeline/service-pipeline.ts'
