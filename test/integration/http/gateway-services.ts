// The services the gateway tests call through the gateway, on the real broker: typed routes of
// `pricing` (one failing, one slow, one that counts its runs), a stream route that can be held
// after its first item, a `shop` whose mounted app answers server-sent events, and a `secret`
// service that runs but is never exposed. Plus a node:http server on a free loopback port.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { getRequestListener } from '@hono/node-server'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { route, stream } from '../../../src/core/contracts.ts'
import { reply } from '../../../src/core/http/reply.ts'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy, type Policy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName } from '../../support/kafka.ts'

export const quoteById = route('pricing', 'GET /quotes/:id')
export const createQuote = route('pricing', 'POST /quotes', { body: z.object({ to: z.string() }) })
export const removeQuote = route('pricing', 'DELETE /quotes/:id')
export const fares = stream('pricing', 'GET /quotes/:id/fares', { item: z.object({ n: z.number() }) })
export const failing = route('pricing', 'GET /fail')
export const slow = route('pricing', 'GET /slow')
export const echo = route('pricing', 'POST /echo')
export const big = route('pricing', 'GET /big')
export const secretData = route('secret', 'GET /data')

/** Every route the tests expose (not DELETE /quotes/:id, not the secret service). */
export const exposed = {
  pricing: ['GET /quotes/:id', 'POST /quotes', 'GET /quotes/:id/fares', 'GET /fail', 'GET /slow', 'POST /echo', 'GET /big'],
  shop: '*',
  ghost: '*',
} as const

/** The running services, what their handlers saw, and the gateway's client. */
export interface Fleet {
  readonly policy: Policy
  /** How many times each counted handler ran. */
  readonly runs: { create: number; remove: number; secret: number; echo: number }
  /** Headers, message id and record key of every request the quote routes received. */
  readonly seen: { headers: Readonly<Record<string, string>>; id: string; key: string | undefined }[]
  /** Lets held fare streams (`?hold=1`) go on past their first item. */
  releaseFares(): void
  /** The client a gateway calls with. */
  readonly client: Client
  close(): Promise<void>
}

/** Starts the services on the broker under a fresh topic prefix, and a client for the gateway. */
export async function startFleet(brokers: readonly string[], policy: Policy = definePolicy({ prefix: uniqueName('gw'), partitions: 2 })): Promise<Fleet> {
  const errors: unknown[] = []
  const make = (name: string): Service => new Service({ name, policy, transport: kafkaTransport({ brokers }), ownsTransport: true, onError: (error) => errors.push(error) })
  const runs = { create: 0, remove: 0, secret: 0, echo: 0 }
  const seen: Fleet['seen'] = []
  let held = Promise.withResolvers<undefined>()

  const pricing = make('pricing')
  pricing.handle(quoteById, (request, context) => {
    seen.push({ headers: request.headers, id: request.id, key: request.key })
    context.setHeader('x-quote', request.params.id)
    return { id: request.params.id, to: request.query.get('to'), tenant: request.headers['x-tenant'] ?? null }
  })
  pricing.handle(createQuote, async (request) => {
    seen.push({ headers: request.headers, id: request.id, key: request.key })
    runs.create++
    const quote = `Q${String(runs.create)}-${Math.random().toString(36).slice(2, 8)}`
    await sleep(Number(request.query.get('delay') ?? 0))
    return reply({ quote, to: request.body.to }, { status: 201, headers: { location: `/quotes/${quote}` } })
  })
  pricing.handle(removeQuote, () => {
    runs.remove++
  })
  pricing.handle(fares, async function* (request) {
    yield { n: 1 }
    if (request.query.get('hold') === '1') await held.promise
    yield { n: 2 }
    yield { n: 3 }
  })
  pricing.handle(failing, () => {
    throw new KafkaIpcError('QUOTE_EXPIRED', 'The quote expired.', { status: 410 })
  })
  pricing.handle(slow, async (request, context) => {
    await sleep(Number(request.query.get('ms') ?? 0), undefined, { signal: context.signal })
    return { slept: Number(request.query.get('ms')) }
  })
  pricing.handle(echo, (request) => {
    runs.echo++
    return { bytes: request.body instanceof Uint8Array ? request.body.byteLength : typeof request.body === 'string' ? request.body.length : -1 }
  })
  pricing.handle(big, () => ({ text: 'x'.repeat(4_000) }))

  const shop = make('shop')
  shop.mount((request) => {
    const count = Number(new URL(request.url).searchParams.get('count') ?? 3)
    let n = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await sleep(10)
        n++
        controller.enqueue(new TextEncoder().encode(`id: ${String(n)}\ndata: tick ${String(n)}\n\n`))
        if (n === count) controller.close()
      },
    })
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
  })

  const secret = make('secret')
  secret.handle(secretData, () => {
    runs.secret++
    return { secret: true }
  })

  const services = [pricing, shop, secret]
  await Promise.all(services.map((service) => service.listen()))
  const client = new Client({ name: 'gateway', policy, transport: kafkaTransport({ brokers }), ownsTransport: true, onError: (error) => errors.push(error) })
  await client.ready()
  return {
    policy,
    runs,
    seen,
    client,
    releaseFares: () => {
      held.resolve(undefined)
      held = Promise.withResolvers<undefined>()
    },
    close: async () => {
      // A test that failed halfway may leave a fare stream held: let it end, or closing waits on it.
      held.resolve(undefined)
      await client.close()
      await Promise.all(services.map((service) => service.close()))
    },
  }
}

/** A node:http server on a free loopback port, serving a fetch handler through @hono/node-server. */
export async function serveOnLoopback(handler: (request: Request) => Promise<Response> | Response): Promise<{ readonly url: string; close(): Promise<void> }> {
  const listener = getRequestListener(handler, { overrideGlobalObjects: false })
  const server: Server = createServer((request, response) => {
    void listener(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
        server.closeAllConnections()
      }),
  }
}

/** Reads a response body piece by piece, as text: `next()` one chunk, `rest()` all that remains. */
export function bodyText(response: Response): { next(): Promise<string>; rest(): Promise<string> } {
  const body = response.body as ReadableStream<Uint8Array> | null
  if (body === null) throw new Error(`a ${String(response.status)} response without a body`)
  const reader = body.getReader()
  const decoder = new TextDecoder()
  return {
    next: async () => {
      const { value } = await reader.read()
      return decoder.decode(value, { stream: true })
    },
    rest: async () => {
      let text = ''
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true })
      return text + decoder.decode()
    },
  }
}
