/**
 * `kafka-ipc/gateway`: an HTTP gateway to kafka-ipc services, as a fetch handler
 * `(Request) => Promise<Response>` to mount in node:http, Hono or Fastify — or run as a process
 * with `kafka-ipc gateway` (docs/gateway.md).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createClient } from 'kafka-ipc'
 * import { createGateway } from 'kafka-ipc/gateway'
 *
 * const gateway = createGateway({ client: createClient({ name: 'gateway' }), basePath: '/api', expose: { pricing: ['GET /quotes/:id'] } })
 * const app = new Hono().all('/api/*', (c) => gateway(c.req.raw))
 * ```
 */
import '../../assert-supported-node.ts'
export { createGateway, type Gateway, type GatewayOptions } from './gateway.ts'
export type { Expose } from './allowlist.ts'
export type { GatewayClient } from './forward.ts'
export { gatewayHeaders } from './control-headers.ts'
export type { ResultLimits } from './result-store.ts'
