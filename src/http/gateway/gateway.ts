import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { Allowlist, type Expose } from './allowlist.ts'
import { forwardedHeaders, readControls } from './control-headers.ts'
import { asEventStream, wantsEventStream } from './event-stream.ts'
import { errorResponse, forward, type ForwardedCall, type GatewayClient } from './forward.ts'
import { normalizeBasePath, readGatewayPath } from './gateway-path.ts'
import { readRequestBody } from './request-body.ts'
import { type ResultLimits, ResultStore } from './result-store.ts'
import { acceptAsync, idempotent, pollResult, type StoredCallDeps } from './stored-calls.ts'
import { replay } from './stored-response.ts'

/**
 * How to build a gateway ({@link createGateway}).
 *
 * @example
 * ```ts
 * const options: GatewayOptions = {
 *   client: createClient({ name: 'gateway' }),
 *   expose: { pricing: ['GET /quotes/:id', 'POST /quotes'], shop: '*' },
 *   basePath: '/api',
 *   maxBodyBytes: 256 * 1024,
 *   results: { ttlMs: 60_000 },
 * }
 * ```
 */
export interface GatewayOptions {
  /** The kafka-ipc client that makes the calls (`createClient({ name: 'gateway' })`). */
  readonly client: GatewayClient
  /** Which services and routes are reachable; nothing is by default. */
  readonly expose?: Expose
  /** Where the gateway is mounted, such as `/api`: requests are `<basePath>/<service>/<path>`. Default: none. */
  readonly basePath?: string
  /** The largest request body accepted, in bytes; larger is `413`. Default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Bounds of the in-memory store of async results and idempotent answers. */
  readonly results?: ResultLimits
}

/**
 * An HTTP gateway as a fetch handler: a Web `Request` in, a `Response` out. It never rejects:
 * every failure is a response with a status and a JSON error body.
 *
 * @example
 * ```ts
 * const gateway: Gateway = createGateway({ client, expose: { pricing: '*' } })
 * const response = await gateway(new Request('http://localhost/pricing/quotes/7'))
 * ```
 */
export type Gateway = (request: Request) => Promise<Response>

interface GatewayContext extends StoredCallDeps {
  readonly allowlist: Allowlist
  readonly maxBodyBytes: number
}

/**
 * An HTTP gateway to kafka-ipc services: `<basePath>/<service>/<path>?<query>` is forwarded to
 * `kafka://<service>/<path>?<query>` with its method, headers and body, and the answer comes back
 * with its status, headers and body — a stream as a chunked body, or as server-sent events when
 * the client accepts `text/event-stream`. Only what `expose` lists is reachable; anything else is
 * `404`, whether or not it exists. Headers `x-timeout-ms` (the deadline), `Idempotency-Key` (the
 * message id; a retry gets the first answer) and `Prefer: respond-async` (`202` and a location
 * to poll) are the gateway's own (docs/gateway.md). Mount it in anything that speaks Web
 * `Request`/`Response`: Hono, Fastify, or `node:http` through `@hono/node-server`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { getRequestListener } from '@hono/node-server'
 * import { createClient } from 'kafka-ipc'
 * import { createGateway } from 'kafka-ipc/gateway'
 *
 * const gateway = createGateway({ client: createClient({ name: 'gateway' }), expose: { pricing: ['GET /quotes/:id', 'POST /quotes'], shop: '*' } })
 * const listener = getRequestListener(gateway, { overrideGlobalObjects: false })
 * createServer((request, response) => void listener(request, response)).listen(8080)
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
  const context = gatewayContext(options)
  return async (request) => {
    try {
      return await handle(context, request)
    } catch (error) {
      return errorResponse(error)
    }
  }
}

async function handle(context: GatewayContext, request: Request): Promise<Response> {
  const url = new URL(request.url)
  const target = readGatewayPath(url.pathname, context.basePath)
  if (target.kind === 'result' && request.method === 'GET') return present(pollResult(context, target.id), request)
  if (target.kind !== 'forward' || !context.allowlist.allows(target.service, request.method, target.path)) {
    // The same answer whether the service or route exists or not: the allowlist reveals nothing.
    throw new KafkaIpcError('KIPC_NOT_FOUND', `Nothing is exposed at ${request.method} ${url.pathname.slice(0, 200)}.`)
  }
  const controls = readControls(request.headers, context.client.policy.maxTimeoutMs)
  const body = await readRequestBody(request, context.maxBodyBytes)
  const call: ForwardedCall = {
    url: `kafka://${target.service}${target.path}${url.search}`,
    method: request.method,
    headers: forwardedHeaders(request.headers, controls),
    body,
    timeout: controls.timeout,
    id: controls.idempotencyKey,
  }
  const { idempotencyKey } = controls
  if (idempotencyKey !== undefined) return present(await idempotent(context, { ...call, id: idempotencyKey }, controls.respondAsync), request)
  if (controls.respondAsync) return replay(acceptAsync(context, call))
  return present((await forward(context.client, call, request.signal)).response, request)
}

/** The answer as this client asked for it: server-sent events when it accepts them. */
function present(response: Response, request: Request): Response {
  return wantsEventStream(request.headers.get('accept')) ? asEventStream(response) : response
}

function gatewayContext(options: GatewayOptions): GatewayContext {
  if (typeof options !== 'object' || typeof (options.client as Partial<GatewayClient> | undefined)?.fetch !== 'function') {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', "createGateway needs { client }: a kafka-ipc client, such as createClient({ name: 'gateway' }).")
  }
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `maxBodyBytes must be a positive whole number, got ${JSON.stringify(maxBodyBytes)}.`)
  return {
    client: options.client,
    allowlist: new Allowlist(options.expose ?? {}),
    basePath: normalizeBasePath(options.basePath),
    maxBodyBytes,
    store: new ResultStore(options.results),
  }
}
