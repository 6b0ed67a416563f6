import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConsumerWatch } from '../../../src/core/consumer-watch.ts'

describe('ConsumerWatch', () => {
  it('checks a service in the background at most once per ttl and remembers the last answer', async () => {
    const asked: string[] = []
    let members: number | undefined = 0
    const watch = new ConsumerWatch((service) => {
      asked.push(service)
      return Promise.resolve(members)
    }, 50)
    assert.equal(watch.known('g'), undefined, 'nothing known before the first check')
    watch.note('g')
    watch.note('g')
    await Promise.resolve()
    assert.deepEqual(asked, ['g'])
    assert.equal(watch.known('g'), 0)
    members = 2
    await new Promise((resolve) => setTimeout(resolve, 60))
    watch.note('g')
    await Promise.resolve()
    assert.deepEqual(asked, ['g', 'g'])
    assert.equal(watch.known('g'), 2)
  })

  it('keeps the previous answer while a refresh runs, and when a check fails', async () => {
    let fail = false
    const watch = new ConsumerWatch(() => (fail ? Promise.reject(new Error('broker down')) : Promise.resolve(3)), 0)
    watch.note('g')
    await Promise.resolve()
    assert.equal(watch.known('g'), 3)
    fail = true
    watch.note('g')
    await new Promise((resolve) => setTimeout(resolve, 1))
    assert.equal(watch.known('g'), 3)
  })
})
