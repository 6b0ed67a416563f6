// Kubernetes probes against a broker of this file's own, which it stops and starts: readiness turns
// 503 once the service's channels have been recovering longer than the grace, and 200 again once
// the broker is back; a blocked event loop fails liveness; every probe answers from cached state,
// fast. How long the channels take to notice a stopped broker is printed (docs/operations.md).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { route } from '../../../src/core/contracts.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { LocalKafka } from '../../../src/local-kafka/index.ts'
import { type HealthServer, serveHealth } from '../../../src/operations/index.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName } from '../../support/kafka.ts'

const ping = route('probed', 'GET /ping', { reply: z.object({ ok: z.boolean() }) })
const graceMs = 3_000

interface Probe {
  readonly status: number
  readonly body: { status: string; reason?: string; health: string; eventLoopStallMs?: number }
  readonly tookMs: number
}

async function probe(server: HealthServer, path: string): Promise<Probe> {
  const started = performance.now()
  const response = await fetch(`${server.url}${path}`)
  const body = (await response.json()) as Probe['body']
  return { status: response.status, body, tookMs: performance.now() - started }
}

/** Polls a probe until `want` holds; returns the first probe that does and when it came. */
async function until(server: HealthServer, path: string, want: (probe: Probe) => boolean, withinMs: number): Promise<Probe & { afterMs: number }> {
  const started = Date.now()
  for (;;) {
    const seen = await probe(server, path)
    if (want(seen)) return { ...seen, afterMs: Date.now() - started }
    if (Date.now() - started > withinMs) throw new Error(`${path} did not turn within ${withinMs} ms: ${JSON.stringify(seen.body)}`)
    await sleep(200)
  }
}

describe('health probes on a broker that goes away and comes back', { timeout: 240_000 }, () => {
  let kafka: LocalKafka
  let service: Service
  let server: HealthServer

  before(async () => {
    kafka = await LocalKafka.start({})
    service = new Service({ name: 'probed', policy: definePolicy({ prefix: uniqueName('health'), partitions: 2 }), transport: kafkaTransport({ brokers: kafka.brokers }), ownsTransport: true, logger: { info: () => undefined, warn: () => undefined, error: () => undefined } })
    service.handle(ping, () => ({ ok: true }))
    server = await serveHealth(service, { port: 0, host: '127.0.0.1', brokerGraceMs: graceMs, stallMs: 1_000, stallWindowMs: 4_000 })
  })

  after(async () => {
    await server.close()
    await service.close()
    await kafka.stop()
  })

  it('startup and readiness pass once listen() has finished; every probe answers in well under 50 ms', async () => {
    assert.equal((await probe(server, '/startupz')).status, 503, 'not started before listen()')
    await service.listen()
    const answers = [await probe(server, '/startupz'), await probe(server, '/readyz'), await probe(server, '/livez')]
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 200],
    )
    const times: number[] = []
    for (let i = 0; i < 50; i++) times.push((await probe(server, '/readyz')).tookMs)
    times.sort((a, b) => a - b)
    assert.ok((times[45] ?? Infinity) < 50, `p90 of 50 readiness probes under 50 ms (${times.map((time) => time.toFixed(1)).join(', ')})`)
    assert.equal((await fetch(`${server.url}/nowhere`)).status, 404)
  })

  it('readiness turns 503 once the channels have been recovering past the grace after the broker stops, and 200 again once it is back', async () => {
    const [node] = kafka.nodeIds
    assert.ok(node !== undefined)
    await kafka.stopNode(node)
    const stoppedAt = Date.now()
    const notReady = await until(server, '/readyz', (seen) => seen.status === 503, 60_000)
    const turnedAfterMs = Date.now() - stoppedAt
    console.log(`[health] readiness 503 ${turnedAfterMs} ms after the broker stopped (grace ${graceMs} ms): ${notReady.body.reason ?? ''}`)
    const recoveringFor = Number(/recovering for (\d+) ms \(grace 3000 ms\)/.exec(notReady.body.reason ?? '')?.[1])
    assert.ok(recoveringFor > graceMs && recoveringFor < graceMs + 2_000, `not ready as soon as the grace has passed: ${notReady.body.reason ?? ''}`)
    assert.equal((await probe(server, '/livez')).status, 200, 'a service waiting for its broker is alive: restarting it would not help')
    await kafka.restartNode(node)
    const restartedAt = Date.now()
    await until(server, '/readyz', (seen) => seen.status === 200, 90_000)
    console.log(`[health] readiness 200 again ${Date.now() - restartedAt} ms after the broker restarted`)
  })

  it('a blocked event loop fails liveness for the stall window, then passes again', async () => {
    const blockedUntil = Date.now() + 1_500
    while (Date.now() < blockedUntil) {
      // Busy: the event loop cannot run a timer or answer a probe.
    }
    const after = await probe(server, '/livez')
    assert.equal(after.status, 503)
    assert.ok((after.body.eventLoopStallMs ?? 0) >= 1_000, JSON.stringify(after.body))
    await until(server, '/livez', (seen) => seen.status === 200, 10_000)
  })
})
