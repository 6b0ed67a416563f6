import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { RunningRequests } from '../../../src/core/running-requests.ts'

describe('RunningRequests deadlines', () => {
  it('aborts a handler with KIPC_TIMEOUT within a tick of its deadline, not before, and only the late one', async () => {
    const running = new RunningRequests(10)
    const start = Date.now()
    const late = running.start('late', start + 40)
    const early = running.start('early', start + 15)
    const patient = running.start('patient', start + 60_000)
    running.finish('early')
    await sleep(25)
    assert.equal(late.signal.aborted, false, 'not before its deadline')
    await sleep(40)
    assert.ok(late.signal.aborted)
    assert.ok(isKafkaIpcError(late.signal.reason, 'KIPC_TIMEOUT'))
    assert.equal(early.signal.aborted, false, 'a finished request is left alone')
    assert.equal(patient.signal.aborted, false)
    running.finish('late')
    running.finish('patient')
  })

  it('a cancel still aborts with KIPC_CANCELLED before the deadline', () => {
    const running = new RunningRequests(10)
    const controller = running.start('r', Date.now() + 60_000)
    running.cancel('r')
    assert.ok(isKafkaIpcError(controller.signal.reason, 'KIPC_CANCELLED'))
    running.finish('r')
  })
})

describe('RunningRequests, prepared and tracked', () => {
  it('counts, cancels and times out a prepared request only once it is tracked', async () => {
    const running = new RunningRequests(10)
    const quick = running.prepare(Date.now() + 15)
    assert.equal(running.size, 0, 'a prepared request is not running yet')
    running.cancel('quick')
    assert.equal(quick.signal.aborted, false, 'a cancel does not reach it')
    running.finish('quick')
    const slow = running.prepare(Date.now() + 15)
    running.track('slow', slow)
    running.track('slow', slow)
    assert.equal(running.size, 1, 'tracking twice registers once')
    await sleep(40)
    assert.ok(isKafkaIpcError(slow.signal.reason, 'KIPC_TIMEOUT'), 'its deadline is watched from then on')
    assert.equal(quick.signal.aborted, false)
    const cancelled = running.prepare()
    running.track('cancelled', cancelled)
    running.cancel('cancelled')
    assert.ok(isKafkaIpcError(cancelled.signal.reason, 'KIPC_CANCELLED'))
    running.finish('slow')
    running.finish('cancelled')
    assert.equal(running.size, 0)
  })
})
