import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { type Answer, PendingCalls } from '../../../src/core/pending-calls.ts'

const reply: Answer = { kind: 'reply', body: 1, status: 200, service: 'pricing', seq: undefined, replyTo: undefined }

describe('PendingCalls', () => {
  it('hands an answer to the call with its correlation id, and counts one for no call as late', () => {
    const pending = new PendingCalls()
    const received: Answer[] = []
    pending.add('a', { target: 'pricing', receive: (answer) => received.push(answer), fail: () => assert.fail('not failed') })
    pending.deliver('a', reply)
    pending.deliver('b', reply)
    pending.deliver(undefined, reply)
    assert.deepEqual(received, [reply])
    assert.equal(pending.counters.lateAnswers, 2)
    pending.delete('a')
    pending.deliver('a', reply)
    assert.equal(pending.counters.lateAnswers, 3)
    assert.equal(pending.size, 0)
  })

  it('entryOf finds the call once and deliverTo hands it the answer; none found counts as late', () => {
    const pending = new PendingCalls()
    const received: Answer[] = []
    const entry = { target: 'pricing', rawReplies: true, receive: (answer: Answer) => received.push(answer), fail: () => assert.fail('not failed') }
    pending.add('a', entry)
    assert.equal(pending.entryOf('a'), entry)
    assert.equal(pending.entryOf('b'), undefined)
    assert.equal(pending.entryOf(undefined), undefined)
    pending.deliverTo(pending.entryOf('a'), reply)
    pending.deliverTo(pending.entryOf('b'), reply)
    assert.deepEqual(received, [reply])
    assert.equal(pending.counters.lateAnswers, 1)
  })

  it('failAll ends every call once with the local error it is given, never as an answer, and forgets them', () => {
    const pending = new PendingCalls()
    const answered: Answer[] = []
    const failed: [string, KafkaIpcError][] = []
    for (const id of ['a', 'b']) pending.add(id, { target: `svc-${id}`, receive: (answer) => answered.push(answer), fail: (error) => failed.push([id, error]) })
    const shutdown = new KafkaIpcError('KIPC_UNAVAILABLE', 'web is shutting down.')
    pending.failAll(shutdown)
    assert.deepEqual(failed, [['a', shutdown], ['b', shutdown]])
    assert.deepEqual(answered, [], 'a local shutdown is not an error answer from the other service')
    assert.equal(pending.size, 0)
    pending.deliver('a', reply)
    assert.deepEqual(answered, [], 'an answer after the shutdown is late')
  })
})
