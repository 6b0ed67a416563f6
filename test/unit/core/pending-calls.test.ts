import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Answer, PendingCalls } from '../../../src/core/pending-calls.ts'

const reply: Answer = { kind: 'reply', body: 1, status: 200, service: 'pricing', seq: undefined, replyTo: undefined }

describe('PendingCalls', () => {
  it('hands an answer to the call with its correlation id, and counts one for no call as late', () => {
    const pending = new PendingCalls()
    const received: Answer[] = []
    pending.add('a', { target: 'pricing', receive: (answer) => received.push(answer) })
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

  it('failAll ends every call once with a retryable 503 naming its target, and forgets them', () => {
    const pending = new PendingCalls()
    const received: Answer[] = []
    for (const id of ['a', 'b']) pending.add(id, { target: `svc-${id}`, receive: (answer) => received.push(answer) })
    pending.failAll(new Error('web is shutting down.'))
    assert.deepEqual(
      received.map((answer) => [answer.kind, answer.status, answer.service, (answer.body as { code: string; retryable: boolean }).code, (answer.body as { retryable: boolean }).retryable]),
      [
        ['error', 503, 'svc-a', 'KIPC_UNAVAILABLE', true],
        ['error', 503, 'svc-b', 'KIPC_UNAVAILABLE', true],
      ],
    )
    assert.equal(pending.size, 0)
  })
})
