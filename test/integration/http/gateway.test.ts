// The HTTP gateway behind a real node:http server, called with Node's fetch, forwarding to real
// services over the broker: the allowlist, the HTTP shape both ways, streams (chunked and as
// server-sent events), remote and local errors, the deadline header and the body limit.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { createGateway } from '../../../src/http/gateway/gateway.ts'
import { useKafka } from '../../support/kafka.ts'
import { bodyText, exposed, type Fleet, serveOnLoopback, startFleet } from './gateway-services.ts'

const brokers = useKafka()

interface ErrorBody {
  readonly code: string
  readonly message: string
  readonly retryable: boolean
}

describe('the HTTP gateway', { timeout: 60_000 }, () => {
  let fleet: Fleet
  let server: { readonly url: string; close(): Promise<void> }
  let api: string

  before(async () => {
    fleet = await startFleet(brokers())
    server = await serveOnLoopback(createGateway({ client: fleet.client, expose: exposed, basePath: '/api', maxBodyBytes: 1_024 }))
    api = `${server.url}/api`
  })
  after(async () => {
    await server.close()
    await fleet.close()
  })

  it('forwards an exposed route with its params, query and headers, and returns its status, headers and JSON body', async () => {
    const response = await fetch(`${api}/pricing/quotes/Q7?to=JFK`, { headers: { 'x-tenant': 't1', 'x-timeout-ms': '5000' } })
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('x-quote'), 'Q7')
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
    assert.deepEqual(await response.json(), { id: 'Q7', to: 'JFK', tenant: 't1' })
    const headers = fleet.seen.at(-1)?.headers ?? {}
    assert.equal(headers['x-tenant'], 't1')
    for (const name of ['x-timeout-ms', 'host']) assert.equal(headers[name], undefined, `${name} stays at the gateway`)
    // fetch() will not send a Connection header; node:http will. What it names is hop-by-hop too.
    assert.equal(await statusOf(`${api}/pricing/quotes/Q8`, { connection: 'keep-alive, x-hop', 'x-hop': 'no', 'keep-alive': 'timeout=5' }), 200)
    const hop = fleet.seen.at(-1)?.headers ?? {}
    for (const name of ['connection', 'x-hop', 'keep-alive']) assert.equal(hop[name], undefined, `${name} stays at the gateway`)

    const created = await fetch(`${api}/pricing/quotes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'WAW' }) })
    assert.equal(created.status, 201)
    const body = (await created.json()) as { quote: string; to: string }
    assert.equal(body.to, 'WAW')
    assert.equal(created.headers.get('location'), `/quotes/${body.quote}`)
    const invalid = await fetch(`${api}/pricing/quotes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 7 }) })
    assert.equal(invalid.status, 400)
    assert.equal(((await invalid.json()) as ErrorBody).code, 'KIPC_BAD_REQUEST')
  })

  it('answers 404 with the same JSON error body for anything not exposed, whether it exists or not', async () => {
    const unexposed = [
      ['GET', `${api}/secret/data`], // a running service, not exposed
      ['DELETE', `${api}/pricing/quotes/Q7`], // a route of an exposed service, not exposed
      ['GET', `${api}/nowhere/data`], // no such service
      ['GET', `${api}/pricing/nowhere`], // no such route
      ['GET', `${server.url}/pricing/quotes/Q7`], // outside the base path
      ['GET', `${api}/inbox/x`], // not a service name
    ] as const
    for (const [method, url] of unexposed) {
      const response = await fetch(url, { method })
      assert.equal(response.status, 404, `${method} ${url}`)
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
      const body = (await response.json()) as ErrorBody
      assert.deepEqual({ ...body, message: body.message.replace(/ at .*$/, '') }, { code: 'KIPC_NOT_FOUND', message: 'Nothing is exposed', retryable: false }, `${method} ${url}`)
    }
    assert.deepEqual([fleet.runs.secret, fleet.runs.remove], [0, 0], 'nothing unexposed ran')
    // HEAD comes with GET.
    const head = await fetch(`${api}/pricing/quotes/Q7`, { method: 'HEAD' })
    assert.deepEqual([head.status, head.headers.get('x-quote'), await head.text()], [200, 'Q7', ''])
  })

  it('streams a stream route as a chunked body, item by item while the stream runs', async () => {
    const response = await fetch(`${api}/pricing/quotes/Q1/fares?hold=1`)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/x-ndjson')
    assert.equal(response.headers.get('transfer-encoding'), 'chunked')
    const body = bodyText(response)
    // The responder holds the stream after its first item: this read succeeds only if the
    // gateway passes the body through as it comes instead of collecting it.
    assert.equal(await body.next(), '{"n":1}\n')
    fleet.releaseFares()
    assert.equal(await body.rest(), '{"n":2}\n{"n":3}\n')
  })

  it('turns a stream into server-sent events when the client accepts text/event-stream, and passes an event stream through', async () => {
    const events = await fetch(`${api}/pricing/quotes/Q1/fares?hold=1`, { headers: { accept: 'text/event-stream' } })
    assert.equal(events.status, 200)
    assert.equal(events.headers.get('content-type'), 'text/event-stream')
    assert.equal(events.headers.get('cache-control'), 'no-cache')
    const body = bodyText(events)
    assert.equal(await body.next(), 'data: {"n":1}\n\n')
    fleet.releaseFares()
    assert.equal(await body.rest(), 'data: {"n":2}\n\ndata: {"n":3}\n\n')

    const mounted = await fetch(`${api}/shop/ticks?count=3`, { headers: { accept: 'text/event-stream' } })
    assert.equal(mounted.headers.get('content-type'), 'text/event-stream')
    assert.equal(await mounted.text(), 'id: 1\ndata: tick 1\n\nid: 2\ndata: tick 2\n\nid: 3\ndata: tick 3\n\n')
    // A plain reply stays what it is.
    const plain = await fetch(`${api}/pricing/quotes/Q2`, { headers: { accept: 'text/event-stream' } })
    assert.deepEqual([plain.status, await plain.json()], [200, { id: 'Q2', to: null, tenant: null }])
  })

  it("passes a remote error through as its status and JSON body", async () => {
    const response = await fetch(`${api}/pricing/fail`)
    assert.equal(response.status, 410)
    assert.deepEqual(await response.json(), { code: 'QUOTE_EXPIRED', message: 'The quote expired.', retryable: false })
  })

  it('maps local failures through the status table: the deadline header → 504, an unknown service → 404, bad gateway headers → 400', async () => {
    const started = Date.now()
    const late = await fetch(`${api}/pricing/slow?ms=3000`, { headers: { 'x-timeout-ms': '300' } })
    assert.equal(late.status, 504)
    assert.equal(((await late.json()) as ErrorBody).code, 'KIPC_TIMEOUT')
    assert.ok(Date.now() - started < 2_500, 'the deadline of the header, not the handler, ended it')
    const inTime = await fetch(`${api}/pricing/slow?ms=50`, { headers: { 'x-timeout-ms': '99999999999' } })
    assert.deepEqual([inTime.status, await inTime.json()], [200, { slept: 50 }], 'a deadline beyond the policy is capped at maxTimeoutMs, not refused')

    const ghost = await fetch(`${api}/ghost/anything`)
    assert.equal(ghost.status, 404)
    assert.deepEqual(await ghost.json(), { code: 'KIPC_UNKNOWN_SERVICE', message: (await errorMessageOf(fleet, 'ghost')), retryable: true })

    for (const [name, value] of [['x-timeout-ms', 'soon'], ['x-timeout-ms', '0'], ['x-timeout-ms', '-5'], ['idempotency-key', 'too-short'], ['idempotency-key', 'spaces are not allowed in keys']] as const) {
      const bad = await fetch(`${api}/pricing/quotes/Q1`, { headers: { [name]: value } })
      assert.equal(bad.status, 400, `${name}: ${value}`)
      const body = (await bad.json()) as ErrorBody
      assert.equal(body.code, 'KIPC_BAD_REQUEST')
      assert.match(body.message, name === 'x-timeout-ms' ? /^x-timeout-ms must be a whole number/ : /^Idempotency-Key must be 16–128 characters/)
    }
    const reserved = await fetch(`${api}/pricing/quotes/Q1`, { headers: { 'kipc-id': 'forged' } })
    assert.equal(reserved.status, 400, 'envelope headers cannot be forged through the gateway')
  })

  it('limits request bodies: a Content-Length over the limit and a streamed body that passes it are 413', async () => {
    const octets = { 'content-type': 'application/octet-stream' }
    const atLimit = await fetch(`${api}/pricing/echo`, { method: 'POST', headers: octets, body: new Uint8Array(1_024) })
    assert.deepEqual([atLimit.status, await atLimit.json()], [200, { bytes: 1_024 }])
    const declared = await fetch(`${api}/pricing/echo`, { method: 'POST', headers: octets, body: new Uint8Array(1_025) })
    assert.equal(declared.status, 413)
    const declaredBody = (await declared.json()) as ErrorBody
    assert.equal(declaredBody.code, 'KIPC_PAYLOAD_TOO_LARGE')
    assert.match(declaredBody.message, /at most 1024 bytes .* this one is 1025 bytes/)
    // No Content-Length: the body arrives chunked and is counted while it streams.
    let sent = 0
    const chunked = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 512
        controller.enqueue(new Uint8Array(512))
        if (sent >= 4_096) controller.close()
      },
    })
    const streamed = await fetch(`${api}/pricing/echo`, { method: 'POST', headers: octets, body: chunked, duplex: 'half' })
    assert.equal(streamed.status, 413)
    const streamedBody = (await streamed.json()) as ErrorBody
    assert.equal(streamedBody.code, 'KIPC_PAYLOAD_TOO_LARGE')
    assert.match(streamedBody.message, /this one is more than that/)
    assert.equal(fleet.runs.echo, 1, 'only the body within the limit reached the service')
  })

  it('refuses to keep an answer larger than results.maxBodyBytes for an async request, and says why', async () => {
    const small = await serveOnLoopback(createGateway({ client: fleet.client, expose: exposed, results: { maxBodyBytes: 1_000 } }))
    try {
      const accepted = await fetch(`${small.url}/pricing/big`, { headers: { prefer: 'respond-async' } })
      assert.equal(accepted.status, 202)
      const location = accepted.headers.get('location') ?? ''
      let result = await fetch(new URL(location, small.url))
      for (let tries = 0; result.status === 202 && tries < 100; tries++) {
        await result.body?.cancel()
        await new Promise((resolve) => setTimeout(resolve, 50))
        result = await fetch(new URL(location, small.url))
      }
      assert.equal(result.status, 502)
      const body = (await result.json()) as ErrorBody
      assert.equal(body.code, 'KIPC_RESULT_TOO_LARGE')
      assert.match(body.message, /results\.maxBodyBytes/)
    } finally {
      await small.close()
    }
  })
})

/** The status of a GET sent with node:http, which sends the headers fetch() refuses to. */
function statusOf(url: string, headers: Readonly<Record<string, string>>): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      response.resume()
      response.on('end', () => {
        resolve(response.statusCode)
      })
    })
      .on('error', reject)
      .end()
  })
}

/** What the client itself says about a service whose request topic does not exist. */
async function errorMessageOf(fleet: Fleet, service: string): Promise<string> {
  try {
    await fleet.client.fetch(`kafka://${service}/anything`)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error(`${service} unexpectedly answered`)
}
