// Existing HTTP apps — Fastify, Express, Hono, a bare node:http listener — served over a real Kafka
// broker through the adapters, unchanged, while the same app keeps serving HTTP (dual serving):
// every endpoint is called both ways and must answer byte for byte the same.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { fromFastify, fromNodeHandler } from '../../../src/adapters/index.ts'
import { Client } from '../../../src/core/client.ts'
import type { FetchHandler } from '../../../src/core/pipeline/service-pipeline.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { MemoryBroker } from '../../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'
import { waitUntil } from '../../conformance/request-reply.ts'
import { getRequestListener } from '@hono/node-server'
import { expressApp, fastifyApp, honoApp, listenHttp, nodeListener, type StreamProbe } from './apps.ts'

const brokers = useKafka()

/** Headers whose values must match across the two ways; connection and framing headers differ by design. */
const headersThatMatter = ['content-type', 'location', 'x-served-by']

interface Served {
  readonly name: string
  readonly probe: StreamProbe
  /** Mounts the app on a service and serves it on a port too. */
  readonly start: () => Promise<{ handler: FetchHandler; http: { url: string; close: () => Promise<void> } }>
}

const frameworks: Served[] = [
  (() => {
    const probe: StreamProbe = { produced: 0, closed: false }
    const app = fastifyApp(probe)
    return {
      name: 'fastify',
      probe,
      start: async () => {
        await app.listen({ port: 0, host: '127.0.0.1' })
        const address = app.server.address()
        if (address === null || typeof address === 'string') throw new Error('no port')
        return { handler: fromFastify(app), http: { url: `http://127.0.0.1:${String(address.port)}`, close: () => app.close() } }
      },
    }
  })(),
  (() => {
    const probe: StreamProbe = { produced: 0, closed: false }
    const app = expressApp(probe)
    return { name: 'express', probe, start: async () => ({ handler: fromNodeHandler(app), http: await listenHttp(app) }) }
  })(),
  (() => {
    const probe: StreamProbe = { produced: 0, closed: false }
    const app = honoApp(probe)
    // Hono's own node:http adapter serves the port; over Kafka its fetch mounts as it is.
    const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false })
    return {
      name: 'hono',
      probe,
      start: async () => ({
        handler: app.fetch,
        http: await listenHttp((request, response) => {
          void listener(request, response)
        }),
      }),
    }
  })(),
  (() => {
    const probe: StreamProbe = { produced: 0, closed: false }
    const listener = nodeListener(probe)
    return { name: 'node:http', probe, start: async () => ({ handler: fromNodeHandler(listener), http: await listenHttp(listener) }) }
  })(),
]

for (const framework of frameworks) {
  describe(`a ${framework.name} app served over Kafka and HTTP at once`, { timeout: 120_000 }, () => {
    let service: Service
    let client: Client
    let http: { url: string; close: () => Promise<void> }
    const serviceName = `api-${framework.name.replace(':', '')}`

    before(async () => {
      const policy = definePolicy({ prefix: uniqueName('adapt'), partitions: 2, timeoutMs: 10_000 })
      const started = await framework.start()
      http = started.http
      service = new Service({ name: serviceName, policy, transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
      service.mount(started.handler)
      await service.listen()
      client = new Client({ name: 'caller', policy, transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
      await client.ready()
    })

    after(async () => {
      await client.close()
      await service.close()
      await http.close()
    })

    /** Calls one endpoint over Kafka and over HTTP; asserts both answers are the same; returns the Kafka one. */
    async function both(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
      const [overKafka, overHttp] = await Promise.all([client.fetch(`kafka://${serviceName}${path}`, init), fetch(`${http.url}${path}`, init)])
      const kafka = { status: overKafka.status, headers: overKafka.headers, body: new Uint8Array(await overKafka.arrayBuffer()) }
      const direct = { status: overHttp.status, headers: overHttp.headers, body: new Uint8Array(await overHttp.arrayBuffer()) }
      assert.equal(kafka.status, direct.status, `${path}: the same status both ways`)
      for (const name of headersThatMatter) assert.equal(kafka.headers.get(name), direct.headers.get(name), `${path}: the same ${name} both ways`)
      assert.deepEqual(Buffer.from(kafka.body), Buffer.from(direct.body), `${path}: the same body bytes both ways`)
      return kafka
    }

    const text = (body: Uint8Array): string => Buffer.from(body).toString()

    it('path params, the query string and request headers reach the app', async () => {
      const answer = await both('/items/a%20b?detail=full', { headers: { 'x-tenant': 't-9' } })
      assert.equal(answer.status, 200)
      assert.equal(answer.headers.get('x-served-by'), framework.name === 'node:http' ? 'node' : framework.name)
      assert.deepEqual(JSON.parse(text(answer.body)), { id: 'a b', detail: 'full', tenant: 't-9' })
    })

    it('a JSON body in, 201 and a location out', async () => {
      const answer = await both('/items', { method: 'POST', body: JSON.stringify({ name: 'chair' }), headers: { 'content-type': 'application/json' } })
      assert.deepEqual([answer.status, answer.headers.get('location'), JSON.parse(text(answer.body))], [201, '/items/7', { created: { name: 'chair' } }])
    })

    it('binary bodies both ways', async () => {
      const bytes = new Uint8Array([0, 1, 2, 250, 255])
      const answer = await both('/blobs/b1', { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } })
      assert.deepEqual([answer.status, answer.headers.get('content-type'), Array.from(answer.body)], [200, 'application/octet-stream', [255, 250, 2, 1, 0]])
    })

    it('204 with no body, an error thrown inside the app, and a route the app does not have', async () => {
      assert.deepEqual([(await both('/items/7', { method: 'DELETE' })).status], [204])
      const boom = await both('/boom')
      assert.equal(boom.status, 500)
      assert.match(text(boom.body), /boom|Internal Server Error/)
      assert.equal((await both('/nowhere')).status, 404)
    })

    it('a body the app streams arrives as it is written, and cancelling it stops the app', async () => {
      const answer = await both('/ticks?count=4')
      assert.equal(text(answer.body), 'tick 1\ntick 2\ntick 3\ntick 4\n')
      framework.probe.produced = 0
      framework.probe.closed = false
      const response = await client.fetch(`kafka://${serviceName}/ticks?count=1000`)
      const reader = response.body?.getReader()
      assert.ok(reader)
      assert.match(Buffer.from((await reader.read()).value as Uint8Array).toString(), /^tick 1\n/)
      await reader.cancel()
      await waitUntil(() => framework.probe.closed, 'the app stops producing once the caller cancels')
      assert.ok(framework.probe.produced < 100, `produced ${String(framework.probe.produced)} of 1000`)
    })
  })
}

describe('fromNodeHandler with an app that throws', () => {
  it('answers 500 KIPC_HANDLER_ERROR for a synchronous or an asynchronous throw, and the process lives on', async () => {
    const broker = new MemoryBroker()
    const service = new Service({ name: 'thrower', transport: memoryTransport(broker), onError: () => undefined })
    service.mount(
      fromNodeHandler((request) => {
        if (request.url === '/sync') throw new Error('sync boom')
        return Promise.reject(new Error('async boom'))
      }),
    )
    await service.listen()
    const client = new Client({ name: 'caller', transport: memoryTransport(broker) })
    try {
      for (const [path, message] of [
        ['/sync', 'sync boom'],
        ['/async', 'async boom'],
      ] as const) {
        const response = await client.fetch(`kafka://thrower${path}`)
        const body = (await response.json()) as { code: string; message: string }
        assert.deepEqual([response.status, body.code], [500, 'KIPC_HANDLER_ERROR'], path)
        assert.match(body.message, new RegExp(message))
      }
    } finally {
      await client.close()
      await service.close()
    }
  })
})
