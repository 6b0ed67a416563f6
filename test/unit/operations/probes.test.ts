// The probes' rules, on synthetic health reports: when readiness, liveness and startup turn.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ChannelHealth, HealthReport } from '../../../src/core/channel-health.ts'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { defaultProbeLimits, liveness, readiness, startup } from '../../../src/operations/probes.ts'

const now = 1_000_000
const channel = (state: ChannelHealth['state'], sinceMsAgo = 0): ChannelHealth => ({ name: `subscription g-${state}`, state, since: now - sinceMsAgo, lastError: state === 'recovering' ? new KafkaIpcError('KIPC_BROKER_UNREACHABLE', 'connection refused') : undefined, recoveries: 0, lastRecoveryMs: undefined })
const report = (status: HealthReport['status'], ...channels: ChannelHealth[]): HealthReport => ({ status, channels })
const limits = { ...defaultProbeLimits, brokerGraceMs: 5_000, stallMs: 1_000, stuckMs: 60_000 }

describe('health probes', () => {
  it('readiness: ready when every channel consumes; not while starting or closed', () => {
    assert.equal(readiness({ report: report('ok', channel('consuming')), longestStallMs: 0, now }, limits).ok, true)
    assert.deepEqual([readiness({ report: report('starting', channel('starting')), longestStallMs: 0, now }, limits).ok, readiness({ report: report('closed'), longestStallMs: 0, now }, limits).body.reason], [false, 'closed: shutting down'])
  })

  it('readiness: a recovery is tolerated for the grace, then fails naming the channel and the cause', () => {
    const within = readiness({ report: report('recovering', channel('consuming'), channel('recovering', 4_000)), longestStallMs: 0, now }, limits)
    assert.equal(within.ok, true)
    const past = readiness({ report: report('recovering', channel('consuming'), channel('recovering', 6_000)), longestStallMs: 0, now }, limits)
    assert.equal(past.ok, false)
    assert.match(past.body.reason ?? '', /subscription g-recovering recovering for 6000 ms \(grace 5000 ms\): connection refused/)
  })

  it('liveness: fails on a recent event-loop stall or a channel stuck recovering; a draining service is alive', () => {
    assert.equal(liveness({ report: report('ok', channel('consuming')), longestStallMs: 900, now }, limits).ok, true)
    const stalled = liveness({ report: report('ok', channel('consuming')), longestStallMs: 1_500, now }, limits)
    assert.deepEqual([stalled.ok, stalled.body.eventLoopStallMs], [false, 1_500])
    assert.equal(liveness({ report: report('recovering', channel('recovering', 61_000)), longestStallMs: 0, now }, limits).ok, false)
    assert.equal(liveness({ report: report('recovering', channel('recovering', 59_000)), longestStallMs: 0, now }, limits).ok, true)
    assert.equal(liveness({ report: report('closed'), longestStallMs: 0, now }, limits).ok, true)
  })

  it('startup: passes once listen() has finished', () => {
    assert.equal(startup({ report: report('starting', channel('starting')), longestStallMs: 0, now }).ok, false)
    assert.equal(startup({ report: report('recovering', channel('recovering')), longestStallMs: 0, now }).ok, true)
  })
})
