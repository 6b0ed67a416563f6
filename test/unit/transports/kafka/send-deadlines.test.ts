import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { SendDeadlines } from '../../../../src/transports/kafka/send-deadlines.ts'

describe('SendDeadlines', () => {
  it('fails a send still unsettled at its deadline, within one tick, and only once', async () => {
    const deadlines = new SendDeadlines(10)
    const expiries: number[] = []
    const start = Date.now()
    deadlines.watch(start + 40, () => expiries.push(Date.now() - start))
    await sleep(20)
    assert.equal(expiries.length, 0, 'not before its deadline')
    await sleep(60)
    const [after, ...more] = expiries
    assert.equal(more.length, 0, 'only once')
    assert.ok(after !== undefined && after >= 40 && after < 40 + 50, `expired ${String(after)} ms after watching`)
  })

  it('leaves a released send alone', async () => {
    const deadlines = new SendDeadlines(10)
    let expired = false
    const release = deadlines.watch(Date.now() + 20, () => {
      expired = true
    })
    release()
    await sleep(50)
    assert.equal(expired, false)
  })

  it('watches many sends with one timer, each at its own deadline', async () => {
    const deadlines = new SendDeadlines(10)
    const order: string[] = []
    const now = Date.now()
    deadlines.watch(now + 60, () => order.push('late'))
    deadlines.watch(now + 15, () => order.push('early'))
    const release = deadlines.watch(now + 15, () => order.push('released'))
    release()
    await sleep(100)
    assert.deepEqual(order, ['early', 'late'])
  })
})
