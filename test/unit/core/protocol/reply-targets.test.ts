import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { definePolicy } from '../../../../src/core/policy.ts'
import { ReplyTargets } from '../../../../src/core/protocol/reply-targets.ts'

const policy = definePolicy({ prefix: 'p' })
const inbox = 'p.inbox.caller.a'

/** A broker stand-in answering from a table, counting what it was asked. */
function counter(answer: (topic: string, asked: number) => number | undefined | Error): { asked: string[]; count: (topic: string) => Promise<number | undefined> } {
  const asked: string[] = []
  return {
    asked,
    count: (topic) => {
      asked.push(topic)
      const result = answer(topic, asked.length)
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result)
    },
  }
}

describe('ReplyTargets', () => {
  it('takes an existing partition of an inbox of its prefix, and asks the broker once per inbox', async () => {
    const broker = counter(() => 2)
    const targets = new ReplyTargets(policy, broker.count)
    const answers = await Promise.all([targets.resolve(`${inbox}:0`), targets.resolve(`${inbox}:1`), targets.resolve(`${inbox}:1`)])
    assert.deepEqual(answers, [{ topic: inbox, partition: 0 }, { topic: inbox, partition: 1 }, { topic: inbox, partition: 1 }])
    assert.deepEqual(broker.asked, [inbox], 'concurrent and later lookups share one answer')
  })

  it('refuses a partition past the last, naming the count', async () => {
    const targets = new ReplyTargets(policy, counter(() => 1).count)
    assert.deepEqual(await targets.resolve(`${inbox}:7`), { refused: `reply target ${inbox}:7: inbox ${inbox} has 1 partition(s), no partition 7` })
    assert.ok('refused' in (await targets.resolve(`${inbox}:1`)))
  })

  it('refuses what is not an inbox of its prefix without asking the broker', async () => {
    const broker = counter(() => 1)
    const targets = new ReplyTargets(policy, broker.count)
    for (const address of [undefined, 'p.orders:0', 'q.inbox.caller.a:0', inbox, `${inbox}:x`, `${inbox}:-1`]) {
      assert.ok('refused' in (await targets.resolve(address)), String(address))
    }
    assert.deepEqual(broker.asked, [])
  })

  it('looks for a missing inbox again for a while — a new topic reaches every broker a moment late — then refuses it', async () => {
    const appearing = counter((_topic, asked) => (asked >= 3 ? 1 : undefined))
    assert.deepEqual(await new ReplyTargets(policy, appearing.count).resolve(`${inbox}:0`), { topic: inbox, partition: 0 })
    assert.equal(appearing.asked.length, 3)

    const never = counter(() => undefined)
    const targets = new ReplyTargets(policy, never.count)
    assert.deepEqual(await targets.resolve(`${inbox}:0`), { refused: `reply target ${inbox}:0: inbox ${inbox} does not exist` })
    assert.equal(never.asked.length, 5, 'asked at once and four times more')
    await targets.resolve(`${inbox}:0`)
    assert.equal(never.asked.length, 10, 'a missing inbox is not remembered: it may be created later')
  })

  it('reads each address once, checks it against the partition count every time, and remembers a bounded number', async () => {
    const targets = new ReplyTargets(policy, counter(() => 20_000).count)
    const first = await targets.resolve(`${inbox}:0`)
    assert.equal(await targets.resolve(`${inbox}:0`), first, 'the same target, not a new reading')
    const few = new ReplyTargets(policy, counter(() => 1).count)
    assert.deepEqual(await few.resolve(`${inbox}:0`), { topic: inbox, partition: 0 })
    assert.ok('refused' in (await few.resolve(`${inbox}:5`)), 'a remembered reading is still checked against the count')
    assert.ok('refused' in (await few.resolve(`${inbox}:5`)))
    for (let partition = 1; partition <= 10_000; partition++) await targets.resolve(`${inbox}:${String(partition)}`)
    const again = await targets.resolve(`${inbox}:0`)
    assert.deepEqual(again, first)
    assert.notEqual(again, first, 'the oldest of 10,001 addresses was forgotten and read again')
  })

  it('drops nothing when the broker cannot tell, and asks again next time', async () => {
    const failing = counter(() => new Error('connection lost'))
    const targets = new ReplyTargets(policy, failing.count)
    assert.deepEqual(await targets.resolve(`${inbox}:3`), { topic: inbox, partition: 3 })
    assert.deepEqual(await targets.resolve(`${inbox}:3`), { topic: inbox, partition: 3 })
    assert.equal(failing.asked.length, 2)
  })
})
