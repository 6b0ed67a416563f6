// Broker failover on a real 3-node cluster (replication factor 3, min.insync.replicas 2): a
// service and a caller under steady load while a broker is SIGKILLed and restarted 5 s later.
// Each scenario prints sent / answered / failed with a typed error / lost / executed twice / time
// from the kill to the first answer after it. `npm test` runs the short versions of (a), (c) and
// (d); `npm run test:faults` (KIPC_FAULTS=full) runs all five with longer loads.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Hono } from 'hono'
import { Client } from '../../src/core/client.ts'
import { definePolicy, type Policy } from '../../src/core/policy.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import { Service } from '../../src/core/service.ts'
import type { Transport } from '../../src/core/transport.ts'
import { LocalKafka } from '../../src/local-kafka/index.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { uniqueName } from '../support/kafka.ts'
import { ClusterProbe } from './cluster-probe.ts'
import { appWorkPath, type Executions, formatTally, RequestLoad, tick, work } from './request-load.ts'

const full = process.env['KIPC_FAULTS'] === 'full'
/** Load before the kill, and after the restart. */
const steadyMs = full ? 5_000 : 2_000
const afterRestartMs = full ? 15_000 : 5_000
/** One request every this many ms: about 5,000 requests per scenario in the full run (27 s of load). */
const requestIntervalMs = full ? 5 : 20
/** Deadlines longer than any recovery measured, so a lost request is a defect, not a slow election. */
const callTimeoutMs = 30_000
/** How long after a node returns the service must answer again without a restart. */
const recoveryBoundMs = 30_000

describe('broker failover on a 3-node cluster', { timeout: 15 * 60_000 }, () => {
  let kafka: LocalKafka
  let probe: ClusterProbe
  const open: { close(): Promise<void> }[] = []
  const transports: Transport[] = []

  before(async () => {
    kafka = await LocalKafka.start({ nodes: 3 })
    probe = new ClusterProbe(kafka.brokers)
  })
  // Each scenario starts from a quiet cluster: the previous one's services would recover too.
  afterEach(async () => {
    await Promise.all(open.splice(0).map((item) => item.close().catch(() => undefined)))
    await Promise.all(transports.splice(0).map((item) => item.close().catch(() => undefined)))
  })
  after(async () => {
    await probe.close()
    await kafka.stop()
  })

  /** A transport per service or client, as separate processes would have. */
  function transport(): Transport {
    const made = kafkaTransport({ brokers: kafka.brokers })
    transports.push(made)
    return made
  }

  function policy(): Policy {
    return definePolicy({ prefix: uniqueName('f'), partitions: 6, replication: 3, timeoutMs: callTimeoutMs })
  }

  /** The responder of {@link work}, counting how often each request ran. */
  async function startResponder(fleet: Policy, executions: Executions): Promise<Service> {
    const service = new Service({ name: 'faulty', transport: transport(), policy: fleet })
    service.handle(work, async (request) => {
      executions.set(request.body.id, (executions.get(request.body.id) ?? 0) + 1)
      await Promise.resolve()
      return { id: request.body.id }
    })
    // The same work as a mounted HTTP app: its requests take the fetch-style path through the failover.
    const app = new Hono().post(appWorkPath, async (c) => {
      const { id } = await c.req.json<{ id: number }>()
      executions.set(id, (executions.get(id) ?? 0) + 1)
      return c.json({ id })
    })
    service.mount(app.fetch)
    open.push(service)
    await service.listen()
    return service
  }

  function startCaller(fleet: Policy, instanceId?: string): Client {
    const client = new Client({ name: 'caller', transport: transport(), policy: fleet, ...(instanceId === undefined ? {} : { instanceId }) })
    open.push(client)
    return client
  }

  async function awaitHealthy(what: string, ...parties: { health(): { status: string } }[]): Promise<void> {
    const deadline = Date.now() + recoveryBoundMs
    while (!parties.every((party) => party.health().status === 'ok')) {
      if (Date.now() > deadline) throw new Error(`${what} did not report healthy within ${recoveryBoundMs} ms: ${JSON.stringify(parties.map((party) => party.health()))}`)
      await sleep(100)
    }
  }

  /** The longest recovery any channel of these parties went through. */
  function recoveredMs(...parties: { health(): { channels: readonly { lastRecoveryMs: number | undefined }[] } }[]): number | undefined {
    const times = parties.flatMap((party) => party.health().channels.map((channel) => channel.lastRecoveryMs)).filter((ms) => ms !== undefined)
    return times.length === 0 ? undefined : Math.max(...times)
  }

  /**
   * Runs steady calls, kills `victim()` after a while, restarts it 5 s later, keeps the load on,
   * and checks that nothing was lost and every error was typed.
   */
  async function requestScenario(scenario: string, setup: (fleet: Policy, executions: Executions) => Promise<{ service: Service; client: Client; victim: () => Promise<number> }>): Promise<void> {
    const fleet = policy()
    const executions: Executions = new Map()
    const { service, client, victim } = await setup(fleet, executions)
    await probe.awaitFullIsr(topicNames.requests(fleet, 'faulty'), 3)
    await client.call(work, { body: { id: -1 } })
    const load = new RequestLoad(client, { intervalMs: requestIntervalMs, timeoutMs: callTimeoutMs })
    load.start()
    let node: number
    try {
      await sleep(steadyMs)
      node = await victim()
      load.markKill()
      await kafka.killNode(node)
      await sleep(5_000)
      await kafka.restartNode(node)
      await awaitHealthy(scenario, service, client)
      await sleep(afterRestartMs)
    } catch (error) {
      // The load's interval would keep the test process alive after the failure.
      load.halt()
      throw error
    }
    const tally = await load.stop(executions)
    const copies = await probe.keysWrittenTwice(topicNames.requests(fleet, 'faulty'))
    console.log(formatTally(`${scenario} (killed node ${node})`, tally, recoveredMs(service, client), copies, service.stats().duplicates))
    assert.equal(tally.untyped, 0, 'every error the caller sees is a KafkaIpcError')
    assert.equal(tally.lost, 0, 'no request with a deadline longer than the recovery is lost')
    assert.ok(tally.firstAnswerAfterKillMs !== undefined && tally.firstAnswerAfterKillMs < recoveryBoundMs, 'the service answers again without a restart')
    assert.equal(tally.answered + tally.failedTyped, tally.sent)
    // Every deadline (30 s) outlasts the recovery: a call that failed all the same gave up too early.
    assert.equal(tally.failedTyped, 0, 'no call fails while its deadline outlasts the recovery')
    assert.equal(tally.executedTwice, 0, 'a request the broker stored twice runs once')
  }

  it('(a) the leader of a request partition dies and returns: requests are answered again, none lost', async () => {
    await requestScenario('(a) request partition leader', async (fleet, executions) => {
      const service = await startResponder(fleet, executions)
      const client = startCaller(fleet)
      await client.ready()
      return { service, client, victim: () => probe.leaderOf(topicNames.requests(fleet, 'faulty'), 0) }
    })
  })

  it('(b) the group coordinator dies and returns', { skip: !full && 'runs in npm run test:faults' }, async () => {
    await requestScenario('(b) group coordinator', async (fleet, executions) => {
      const service = await startResponder(fleet, executions)
      const client = startCaller(fleet)
      await client.ready()
      return { service, client, victim: () => probe.coordinatorOf(topicNames.group(fleet, 'faulty')) }
    })
  })

  it("(c) the node leading the caller's and the responder's inboxes dies and returns: replies still arrive", async () => {
    await requestScenario('(c) inbox leader', async (fleet, executions) => {
      const service = await startResponder(fleet, executions)
      const responderInbox = service.client.address?.split(':')[0] ?? ''
      const wanted = await probe.leaderOf(responderInbox)
      // Inbox leaders are placed by the broker: open callers until one shares the responder's.
      for (let attempt = 0; attempt < 12; attempt++) {
        const client = startCaller(fleet, `c${attempt}`)
        await client.ready()
        if ((await probe.leaderOf(client.address?.split(':')[0] ?? '')) === wanted) return { service, client, victim: () => Promise.resolve(wanted) }
        await client.close()
      }
      throw new Error(`no caller inbox landed on node ${wanted} in 12 tries`)
    })
  })

  it('(d) events: a leader dies while events are emitted; every acknowledged event is consumed by each subscribing service', async () => {
    const fleet = policy()
    const total = full ? 5_000 : 2_000
    const consumed = { ledger: new Map<number, number>(), audit: new Map<number, number>() }
    const subscribers = await Promise.all(
      (['ledger', 'audit'] as const).map(async (name) => {
        const service = new Service({ name, transport: transport(), policy: fleet })
        service.on(tick, (event) => {
          consumed[name].set(event.body.id, (consumed[name].get(event.body.id) ?? 0) + 1)
        })
        open.push(service)
        await service.listen()
        return service
      }),
    )
    const emitter = startCaller(fleet)
    const topic = topicNames.event(fleet, tick.name)
    await probe.awaitFullIsr(topic, 3)
    const acked = new Set<number>()
    const failures = new Map<string, number>()
    let untyped = 0
    const emitted: Promise<void>[] = []
    let killedNode = -1
    const killAt = Math.floor(total / 5)
    for (let id = 0; id < total; id++) {
      if (id === killAt) {
        killedNode = await probe.leaderOf(topic, 0)
        await kafka.killNode(killedNode)
        const victim = killedNode
        emitted.push(sleep(5_000).then(() => kafka.restartNode(victim)))
      }
      emitted.push(
        emitter.emit(tick, { id }, { key: String(id) }).then(
          () => {
            acked.add(id)
          },
          (error: unknown) => {
            const code = (error as { code?: unknown }).code
            if (typeof code !== 'string') untyped++
            else failures.set(code, (failures.get(code) ?? 0) + 1)
          },
        ),
      )
      if (id % 20 === 19) await sleep(20)
    }
    await Promise.all(emitted)
    const deadline = Date.now() + 60_000
    const missing = (name: 'ledger' | 'audit'): number => [...acked].filter((id) => !consumed[name].has(id)).length
    while ((missing('ledger') > 0 || missing('audit') > 0) && Date.now() < deadline) await sleep(200)
    const duplicates = (name: 'ledger' | 'audit'): number => [...consumed[name].values()].filter((count) => count > 1).length
    const copies = await probe.keysWrittenTwice(topic)
    console.log(
      `[faults] (d) events (killed node ${killedNode}): emitted ${total} | acknowledged ${acked.size} | written twice to the topic ${copies.keys} (copies up to ${copies.widestGap} records apart) | failed typed ${[...failures.values()].reduce((sum, count) => sum + count, 0)} | untyped ${untyped} | ` +
        `consumed ledger ${consumed.ledger.size} (missing ${missing('ledger')}, handled twice ${duplicates('ledger')}, copies dropped ${subscribers[0]?.stats().duplicates ?? '-'}) | ` +
        `consumed audit ${consumed.audit.size} (missing ${missing('audit')}, handled twice ${duplicates('audit')}, copies dropped ${subscribers[1]?.stats().duplicates ?? '-'}) | ` +
        `channels recovered in ${recoveredMs(...subscribers) ?? '-'} ms${failures.size === 0 ? '' : ` | errors ${[...failures].map(([code, count]) => `${code}×${count}`).join(' ')}`}`,
    )
    assert.equal(untyped, 0, 'every emit failure is typed')
    assert.equal(missing('ledger'), 0, 'every acknowledged event reaches ledger')
    assert.equal(missing('audit'), 0, 'every acknowledged event reaches audit')
    assert.equal(duplicates('ledger'), 0, 'ledger handles an event stored twice once')
    assert.equal(duplicates('audit'), 0, 'audit handles an event stored twice once')
  })

  it('(e) two nodes down at once: calls fail typed and in time, and the service works again once they return', { skip: !full && 'runs in npm run test:faults' }, async () => {
    const fleet = policy()
    const executions: Executions = new Map()
    const service = await startResponder(fleet, executions)
    const client = startCaller(fleet)
    await client.ready()
    await probe.awaitFullIsr(topicNames.requests(fleet, 'faulty'), 3)
    await client.call(work, { body: { id: -1 } })
    // An event has no call deadline: the policy's timeout bounds it. Its topic exists before the fault.
    const timeoutMs = 5_000
    const emitter = new Client({ name: 'emitter', transport: transport(), policy: definePolicy({ ...fleet, timeoutMs }) })
    open.push(emitter)
    await emitter.emit(tick, { id: 0 })
    const survivor = kafka.nodeIds.find((id) => id !== 0) ?? 1
    const victims = kafka.nodeIds.filter((id) => id !== survivor)
    await Promise.all(victims.map((id) => kafka.killNode(id)))
    const startedAt = Date.now()
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        await sleep(index * 100)
        const sentAt = Date.now()
        return client.call(work, { body: { id: index }, key: String(index), timeout: timeoutMs }).then(
          () => ({ answered: true, code: undefined, tookMs: Date.now() - sentAt }),
          (error: unknown) => ({ answered: false, code: (error as { code?: unknown }).code, tookMs: Date.now() - sentAt }),
        )
      }),
    )
    const emitStarted = Date.now()
    const emitError: unknown = await emitter.emit(tick, { id: 1 }).then(
      () => undefined,
      (error: unknown) => error,
    )
    const emitTookMs = Date.now() - emitStarted
    outcomes.push({ answered: emitError === undefined, code: (emitError as { code?: unknown } | undefined)?.code, tookMs: emitTookMs })
    assert.equal((emitError as { retryable?: unknown } | undefined)?.retryable, true, 'a failed emit says it may be retried')
    const slowest = Math.max(...outcomes.map((outcome) => outcome.tookMs))
    await Promise.all(victims.map((id) => kafka.restartNode(id)))
    const restartedAt = Date.now()
    await awaitHealthy('(e)', service, client)
    const reply = await client.call(work, { body: { id: 1_000 }, timeout: callTimeoutMs })
    const codes = outcomes.filter((outcome) => !outcome.answered).map((outcome) => String(outcome.code))
    console.log(
      `[faults] (e) two nodes down (${victims.join(', ')}): calls and an emit ${outcomes.length} | answered ${outcomes.filter((outcome) => outcome.answered).length} | failed ${codes.length} (${[...new Set(codes)].join(', ')}) | ` +
        `slowest settle ${slowest} ms for a ${timeoutMs} ms deadline | down for ${restartedAt - startedAt} ms | answering again ${Date.now() - restartedAt} ms after the restart`,
    )
    assert.equal(reply.id, 1_000)
    for (const code of codes) assert.match(code, /^KIPC_/, 'every failure is a typed kafka-ipc error')
    assert.ok(slowest < timeoutMs + 3_000, `nothing hangs past its deadline (slowest ${slowest} ms)`)
  })
})
