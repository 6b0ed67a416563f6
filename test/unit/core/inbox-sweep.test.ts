// The inbox sweep's rules, on the memory transport: a stale inbox is deleted only on a second look
// that finds it unchanged; a live one (heartbeating) never is, even when every inbox looked stale
// at once (after a broker outage); nothing is swept while the sweeper cannot read its own inbox.
import assert from 'node:assert/strict'
import { describe, it, mock } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { AnswerInbox } from '../../../src/core/answer-inbox.ts'
import { Client } from '../../../src/core/client.ts'
import { heartbeatInterval, InboxHeartbeat } from '../../../src/core/inbox-heartbeat.ts'
import { fleetSweepsPerPeriod, InboxSweep, maxPeriodsBetweenSweeps, nextSweepDelay } from '../../../src/core/inbox-sweep.ts'
import { stderrLogger } from '../../../src/core/logger.ts'
import { PendingCalls } from '../../../src/core/pending-calls.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { RunningRequests } from '../../../src/core/running-requests.ts'
import { MemoryBroker } from '../../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'

const idleMs = 1_000
const policy = definePolicy({ prefix: 'swept', inboxIdleMs: idleMs })
const quiet = stderrLogger('silent')
const inbox = (name: string): string => `swept.inbox.svc.${name}`

function setUp(connected: () => boolean = () => true): { broker: MemoryBroker; sweep: InboxSweep; errors: unknown[]; create: (...names: string[]) => Promise<void>; beat: (name: string) => Promise<void> } {
  const broker = new MemoryBroker()
  const transport = memoryTransport(broker)
  const errors: unknown[] = []
  const sweep = new InboxSweep({ transport, policy, ownInbox: inbox('me'), connected, logger: quiet, onError: (error) => errors.push(error) })
  return {
    broker,
    sweep,
    errors,
    create: (...names) => transport.ensureTopics(names.map((name) => ({ name: inbox(name), partitions: 1, replication: 1, retentionMs: 60_000 })), true),
    beat: (name) => new InboxHeartbeat(transport, policy, 'svc', inbox(name)).beat(),
  }
}

describe('inbox sweep', () => {
  it('deletes an inbox idle past the threshold only on a second look, two heartbeats later, that finds it unchanged', async () => {
    const { broker, sweep, create, beat } = setUp()
    await create('me', 'dead', 'live')
    await beat('dead')
    await beat('live')
    await sleep(idleMs + 50)
    await beat('live')
    assert.deepEqual(await sweep.sweep(), [], 'the first look only suspects')
    assert.ok(broker.hasTopic(inbox('dead')))
    await sleep(heartbeatInterval(policy) * 2 + 50)
    await beat('live')
    assert.deepEqual(await sweep.sweep(), [inbox('dead')])
    assert.deepEqual(broker.topicNames().sort(), [inbox('live'), inbox('me')])
  })

  it('spares every inbox that heartbeats again before the second look, as live ones do after a broker outage', async () => {
    const { broker, sweep, create, beat } = setUp()
    await create('a', 'b')
    await beat('a')
    await beat('b')
    await sleep(idleMs + 50)
    assert.deepEqual(await sweep.sweep(), [], 'every inbox looks stale, as after an outage')
    await beat('a')
    await beat('b')
    await sleep(heartbeatInterval(policy) * 2 + 50)
    assert.deepEqual(await sweep.sweep(), [])
    assert.ok(broker.hasTopic(inbox('a')) && broker.hasTopic(inbox('b')))
  })

  it('counts an inbox that never held a record as idle, on the same two looks', async () => {
    const { broker, sweep, create } = setUp()
    await create('empty')
    assert.deepEqual(await sweep.sweep(), [])
    await sleep(heartbeatInterval(policy) * 2 + 50)
    assert.deepEqual(await sweep.sweep(), [inbox('empty')])
    assert.equal(broker.hasTopic(inbox('empty')), false)
  })

  it('never judges its own inbox, nor names outside the policy’s inboxes', async () => {
    const { broker, sweep, create } = setUp()
    await create('me')
    broker.createTopic({ name: 'swept.inbox.not.an.inbox', partitions: 1, replication: 1, retentionMs: 1 })
    broker.createTopic({ name: 'swept.pricing.requests', partitions: 1, replication: 1, retentionMs: 1 })
    await sweep.sweep()
    await sleep(heartbeatInterval(policy) * 2 + 50)
    assert.deepEqual(await sweep.sweep(), [])
    assert.equal(broker.topicNames().length, 3)
  })

  it('sweeps nothing while it cannot read its own inbox', async () => {
    let connected = false
    const { broker, sweep, create } = setUp(() => connected)
    await create('dead')
    await sweep.sweep()
    await sleep(heartbeatInterval(policy) * 2 + 50)
    assert.deepEqual(await sweep.sweep(), [])
    assert.ok(broker.hasTopic(inbox('dead')))
    connected = true
    await sweep.sweep()
    await sleep(heartbeatInterval(policy) * 2 + 50)
    assert.deepEqual(await sweep.sweep(), [inbox('dead')])
  })

  it('is off with inboxIdleMs 0: no heartbeat is written', async () => {
    const broker = new MemoryBroker()
    const transport = memoryTransport(broker)
    const off = definePolicy({ prefix: 'swept', inboxIdleMs: 0 })
    await transport.ensureTopics([{ name: inbox('x'), partitions: 1, replication: 1, retentionMs: 1 }], true)
    const heartbeat = new InboxHeartbeat(transport, off, 'svc', inbox('x'))
    heartbeat.start()
    await sleep(20)
    heartbeat.stop()
    assert.equal(broker.lastWrite(inbox('x')), undefined)
    assert.throws(() => definePolicy({ inboxIdleMs: 500 }), /inboxIdleMs must be 0 \(off\) or at least 1000 ms/)
  })

  it('a client heartbeats into its own inbox once open, and its inbox reader skips the heartbeats', async () => {
    const broker = new MemoryBroker()
    const client = new Client({ name: 'svc', instanceId: 'beating', policy, transport: memoryTransport(broker), logger: quiet })
    const failures: unknown[] = []
    try {
      await client.ready()
      await sleep(heartbeatInterval(policy) * 2 + 50)
      const last = broker.lastWrite(inbox('beating'))
      assert.ok(last !== undefined && Date.now() - last <= heartbeatInterval(policy) + 100, 'a recent heartbeat')
      assert.equal(client.stats().malformedMessages, 0, 'heartbeats are not malformed answers')
      const reader = new AnswerInbox({ policy, pending: new PendingCalls(), running: new RunningRequests(), dropped: (error) => failures.push(error) })
      for (const record of await broker.read(inbox('beating'), 0, 0n, new AbortController().signal)) reader.receive(record)
      assert.deepEqual(failures, [])
    } finally {
      await client.close()
    }
    assert.equal(broker.hasTopic(inbox('beating')), false, 'close() deletes the inbox')
  })

  it('sweeps less often the more inboxes it finds: a fleet makes about ten sweeps per half idle period, each instance at least one per 24', () => {
    const period = idleMs / 2
    for (const random of [0, 0.5, 0.999]) {
      const jitter = 0.75 + random / 2
      assert.equal(nextSweepDelay(policy, 0, 0, random), period * jitter, 'alone')
      assert.equal(nextSweepDelay(policy, 9, 0, random), period * jitter, 'ten instances sweep at the small pace')
      assert.equal(nextSweepDelay(policy, 99, 0, random), period * 10 * jitter, '100 instances each sweep ten times less often')
      assert.equal(nextSweepDelay(policy, 999, 0, random), period * maxPeriodsBetweenSweeps * jitter, '1,000 instances: each at least once per 24 periods')
    }
    // The fleet's sweeps per period: each of N instances sweeps period / delay times per period.
    const perPeriod = (fleet: number): number => fleet * (period / nextSweepDelay(policy, fleet - 1, 0, 0.5))
    for (const fleet of [10, 100, 240]) assert.ok(Math.abs(perPeriod(fleet) - fleetSweepsPerPeriod) < 1e-9, `${fleet} instances: ${perPeriod(fleet)} sweeps per period`)
    for (const fleet of [1_000, 10_000]) assert.ok(Math.abs(perPeriod(fleet) - fleet / maxPeriodsBetweenSweeps) < 1e-9, `${fleet} instances: ${perPeriod(fleet)} sweeps per period`)
  })

  it('comes back for its second look at a small fleet’s pace, never sooner than two heartbeats, however large the fleet', () => {
    const period = idleMs / 2
    for (const random of [0, 0.5, 0.999]) {
      const delay = nextSweepDelay(policy, 999, 2, random)
      assert.equal(delay, Math.max(2 * heartbeatInterval(policy), period * (0.75 + random / 2)))
      assert.ok(delay >= 2 * heartbeatInterval(policy))
    }
  })

  it('schedules its sweeps by the inboxes it found, and a second look soon after it suspects one', async () => {
    const { sweep, create, beat } = setUp()
    const others = Array.from({ length: 49 }, (_, index) => `live${String(index)}`)
    await create('me', ...others)
    for (const name of others) await beat(name)
    const delays: number[] = []
    const real = globalThis.setTimeout
    // The sweep's own timer, seen: every other timeout runs as it would.
    const spy = mock.method(globalThis, 'setTimeout', (callback: () => void, ms: number) => {
      delays.push(ms)
      return real(callback, ms === 0 ? 0 : 2_147_483_647)
    })
    mock.method(Math, 'random', () => 0.5)
    try {
      sweep.start()
      assert.deepEqual(delays, [idleMs / 2 / 2], 'the first sweep after a random share of half the idle period')
      const first = spy.mock.calls[0]?.arguments[0]
      first?.()
      await sleep(20)
      assert.deepEqual(delays.slice(1), [(idleMs / 2) * 5], '50 instances: each sweeps five times less often')
      await create('dead')
      const second = spy.mock.calls[1]?.arguments[0]
      second?.()
      await sleep(20)
      assert.deepEqual(delays.slice(2), [Math.max(2 * heartbeatInterval(policy), idleMs / 2)], 'a suspect: back at the small pace')
    } finally {
      sweep.stop()
      mock.restoreAll()
    }
  })
})

