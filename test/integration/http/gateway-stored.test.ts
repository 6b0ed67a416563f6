// The gateway's answers that outlive one HTTP exchange, over the real broker: `Prefer:
// respond-async` (202 at once, then a location polled until the answer, delivered once) and
// `Idempotency-Key` (the message id; a retry in flight or after is the same request, run once).
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { route } from '../../../src/core/contracts.ts'
import { Service } from '../../../src/core/service.ts'
import { createGateway } from '../../../src/http/gateway/gateway.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { useKafka } from '../../support/kafka.ts'
import { exposed, type Fleet, serveOnLoopback, startFleet } from './gateway-services.ts'

const brokers = useKafka()
const json = { 'content-type': 'application/json' }
const placeOrder = route('late', 'POST /orders')

describe('the HTTP gateway, answers kept for later', { timeout: 60_000 }, () => {
  let fleet: Fleet
  let server: { readonly url: string; close(): Promise<void> }
  let api: string

  before(async () => {
    fleet = await startFleet(brokers())
    server = await serveOnLoopback(createGateway({ client: fleet.client, expose: { ...exposed, late: ['POST /orders'] }, basePath: '/api' }))
    api = `${server.url}/api`
  })
  after(async () => {
    await server.close()
    await fleet.close()
  })

  it('Prefer: respond-async answers 202 at once with a location; polling gives 202 until the answer, then the answer once', async () => {
    const started = Date.now()
    const accepted = await fetch(`${api}/pricing/quotes?delay=600`, { method: 'POST', headers: { ...json, prefer: 'respond-async' }, body: JSON.stringify({ to: 'LIS' }) })
    assert.equal(accepted.status, 202)
    assert.ok(Date.now() - started < 500, 'answered before the handler finished')
    assert.equal(accepted.headers.get('preference-applied'), 'respond-async')
    const location = accepted.headers.get('location') ?? ''
    assert.match(location, /^\/api\/_results\/[A-Za-z0-9_-]{22}$/)
    assert.deepEqual(await accepted.json(), { id: location.split('/').at(-1), location })

    const pending = await fetch(new URL(location, server.url))
    assert.equal(pending.status, 202)
    assert.equal(pending.headers.get('retry-after'), '1')
    assert.equal(pending.headers.get('location'), location)
    await pending.body?.cancel()

    const result = await poll(new URL(location, server.url))
    assert.equal(result.status, 201)
    const body = (await result.json()) as { quote: string; to: string }
    assert.equal(body.to, 'LIS')
    assert.equal(result.headers.get('location'), `/quotes/${body.quote}`, 'the stored answer keeps its headers')
    assert.ok(!fleet.seen.some((request) => request.id === location.split('/').at(-1)), 'the result id, a secret, is not the message id that logs show')

    const again = await fetch(new URL(location, server.url))
    assert.equal(again.status, 404, 'a result is delivered once')
    assert.equal(((await again.json()) as { code: string }).code, 'KIPC_NOT_FOUND')
    const unknown = await fetch(`${api}/_results/AAAAAAAAAAAAAAAAAAAAAA`)
    assert.equal(unknown.status, 404)
    await unknown.body?.cancel()
  })

  it('keeps a local failure of an async request as its result, and a stream as its whole body (as events when the poll asks)', async () => {
    const timedOut = await fetch(`${api}/pricing/slow?ms=2000`, { headers: { prefer: 'respond-async', 'x-timeout-ms': '200' } })
    assert.equal(timedOut.status, 202)
    await timedOut.body?.cancel()
    const failure = await poll(new URL(timedOut.headers.get('location') ?? '', server.url))
    assert.equal(failure.status, 504)
    assert.equal(((await failure.json()) as { code: string }).code, 'KIPC_TIMEOUT')

    const streamed = await fetch(`${api}/pricing/quotes/Q1/fares`, { headers: { prefer: 'respond-async' } })
    await streamed.body?.cancel()
    const events = await poll(new URL(streamed.headers.get('location') ?? '', server.url), { accept: 'text/event-stream' })
    assert.equal(events.headers.get('content-type'), 'text/event-stream')
    assert.equal(await events.text(), 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\n')
  })

  it('Idempotency-Key: a retry while the first is in flight, and one after it finished, get the same answer; the handler runs once', async () => {
    const key = `order-${crypto.randomUUID()}`
    const send = (): Promise<Response> => fetch(`${api}/pricing/quotes?delay=400`, { method: 'POST', headers: { ...json, 'idempotency-key': key }, body: JSON.stringify({ to: 'JFK' }) })
    const before = fleet.runs.create
    const first = send()
    await sleep(100)
    const inFlight = send()
    const [a, b] = await Promise.all([first, inFlight])
    const after = await fetch(`${api}/pricing/quotes?delay=400`, { method: 'POST', headers: { ...json, 'idempotency-key': `"${key}"` }, body: JSON.stringify({ to: 'JFK' }) })
    const [original, ...retries] = await Promise.all([a, b, after].map(async (response) => ({ status: response.status, location: response.headers.get('location'), replayed: response.headers.get('idempotent-replayed'), body: await response.text() })))
    assert.equal(fleet.runs.create - before, 1, 'the handler ran once')
    assert.equal(original?.status, 201)
    assert.equal(original.replayed, null)
    assert.equal(retries.length, 2)
    for (const retry of retries) assert.deepEqual(retry, { ...original, replayed: 'true' })
    const seen = fleet.seen.filter((request) => request.id === key)
    const [request] = seen
    assert.equal(seen.length, 1)
    assert.ok(request)
    assert.equal(request.key, key, 'the key is the record key too, so a retry lands in the same partition')
    assert.equal(request.headers['idempotency-key'], undefined)

    const reused = await fetch(`${api}/pricing/quotes`, { method: 'POST', headers: { ...json, 'idempotency-key': key }, body: JSON.stringify({ to: 'CDG' }) })
    assert.equal(reused.status, 422, 'the same key on another request is refused')
    assert.equal(((await reused.json()) as { code: string }).code, 'KIPC_IDEMPOTENCY_KEY_REUSED')
    // Another caller who learns the key is not handed the first caller's answer.
    const stranger = await fetch(`${api}/pricing/quotes?delay=400`, { method: 'POST', headers: { ...json, 'idempotency-key': key, authorization: 'Bearer someone-else' }, body: JSON.stringify({ to: 'JFK' }) })
    assert.equal(stranger.status, 422, 'the same key with other credentials is another request')
    assert.equal(fleet.runs.create - before, 1)
  })

  it('Idempotency-Key with Prefer: respond-async: a retry gets the same 202 and location, and the handler runs once', async () => {
    const key = `async-order-${crypto.randomUUID()}`
    const before = fleet.runs.create
    const send = (): Promise<Response> => fetch(`${api}/pricing/quotes?delay=200`, { method: 'POST', headers: { ...json, 'idempotency-key': key, prefer: 'respond-async' }, body: JSON.stringify({ to: 'OSL' }) })
    const first = await send()
    const retry = await send()
    assert.deepEqual([first.status, retry.status, retry.headers.get('idempotent-replayed')], [202, 202, 'true'])
    const location = first.headers.get('location') ?? ''
    assert.equal(retry.headers.get('location'), location)
    await Promise.all([first.body?.cancel(), retry.body?.cancel()])
    const result = await poll(new URL(location, server.url))
    assert.equal(result.status, 201)
    assert.equal(((await result.json()) as { to: string }).to, 'OSL')
    assert.equal(fleet.runs.create - before, 1)
    assert.equal(fleet.seen.filter((request) => request.id === key).length, 1, 'the key is the message id')
  })

  it('a failure before sending is not kept for a key, so the retry is sent; a passed deadline is kept, so the handler never runs twice', async () => {
    const key = `late-${crypto.randomUUID()}`
    const order = (): Promise<Response> => fetch(`${api}/late/orders`, { method: 'POST', headers: { ...json, 'idempotency-key': key }, body: '{}' })
    const early = await order()
    assert.equal(early.status, 404)
    assert.equal(((await early.json()) as { code: string }).code, 'KIPC_UNKNOWN_SERVICE')
    let runs = 0
    const late = new Service({ name: 'late', policy: fleet.policy, transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
    late.handle(placeOrder, (request) => {
      runs++
      return { order: request.id }
    })
    await late.listen()
    try {
      const retry = await order()
      assert.deepEqual([retry.status, retry.headers.get('idempotent-replayed'), await retry.json()], [200, null, { order: key }], 'the retry was sent, under the same id')
      const again = await order()
      assert.deepEqual([again.status, again.headers.get('idempotent-replayed')], [200, 'true'])
      await again.body?.cancel()
      assert.equal(runs, 1)
    } finally {
      await late.close()
    }

    const slowKey = `slow-${crypto.randomUUID()}`
    const started = Date.now()
    const timedOut = await fetch(`${api}/pricing/slow?ms=2000`, { headers: { 'idempotency-key': slowKey, 'x-timeout-ms': '200' } })
    assert.equal(timedOut.status, 504)
    const timedOutBody = await timedOut.text()
    const retry = await fetch(`${api}/pricing/slow?ms=2000`, { headers: { 'idempotency-key': slowKey, 'x-timeout-ms': '5000' } })
    assert.deepEqual([retry.status, retry.headers.get('idempotent-replayed'), await retry.text()], [504, 'true', timedOutBody])
    assert.ok(Date.now() - started < 1_500, 'the retry got the kept 504 at once')
  })
})

/** Polls a result location until it is no longer 202. */
async function poll(url: URL, headers: Readonly<Record<string, string>> = {}): Promise<Response> {
  for (let tries = 0; tries < 200; tries++) {
    const response = await fetch(url, { headers })
    if (response.status !== 202) return response
    await response.body?.cancel()
    await sleep(25)
  }
  throw new Error(`${url.href} stayed pending`)
}
