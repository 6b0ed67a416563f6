// The caller's side of a stream, without a transport: answers are handed in as the inbox would.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError, RemoteError } from '../../../src/core/kafka-ipc-error.ts'
import type { Answer } from '../../../src/core/pending-calls.ts'
import { RemoteStream } from '../../../src/core/remote-stream.ts'

const answer = (kind: Answer['kind'], fields: Partial<Answer> = {}): Answer => ({ kind, body: undefined, status: 200, service: 'offers', seq: undefined, replyTo: undefined, ...fields })

/** A stream whose hooks record what it asked of its client. */
function stream(validate: (body: unknown) => Promise<number> = (body) => Promise.resolve(body as number)): { remote: RemoteStream<number>; log: string[] } {
  const log: string[] = []
  const remote: RemoteStream<number> = new RemoteStream<number>({
    service: 'offers',
    start: () => {
      log.push('start')
      return Promise.resolve()
    },
    cancel: (responder) => log.push(`cancel ${responder ?? '?'}`),
    release: () => log.push('release'),
    validateItem: validate,
  })
  return { remote, log }
}

async function drain(remote: RemoteStream<number>): Promise<number[]> {
  const items: number[] = []
  for await (const item of remote) items.push(item)
  return items
}

describe('RemoteStream', () => {
  it('sends the request on the first read, yields items in order, skips repeated sequence numbers, and ends at the end marker', async () => {
    const { remote, log } = stream()
    assert.deepEqual(log, [], 'nothing is sent before the first read')
    for (const [seq, body] of [
      [0, 10],
      [1, 11],
      [1, 11],
      [2, 12],
    ] as const)
      remote.receive(answer('item', { seq, body }))
    remote.receive(answer('end', { seq: 3 }))
    assert.deepEqual(await drain(remote), [10, 11, 12])
    assert.deepEqual(log, ['start', 'release'])
  })

  it("ends with the responder's error after the items sent before it", async () => {
    const { remote } = stream()
    remote.receive(answer('item', { seq: 0, body: 1 }))
    remote.receive(answer('error', { status: 409, body: { code: 'SOLD_OUT', message: 'no seats', retryable: false } }))
    const items: number[] = []
    const error: unknown = await (async () => {
      for await (const item of remote) items.push(item)
    })().catch((caught: unknown) => caught)
    assert.deepEqual(items, [1])
    assert.ok(error instanceof RemoteError)
    assert.deepEqual([error.code, error.status, error.service], ['SOLD_OUT', 409, 'offers'])
  })

  it('tells the responder it has heard from to stop when the reader leaves early', async () => {
    const { remote, log } = stream()
    remote.receive(answer('item', { seq: 0, body: 1, replyTo: 'kipc.inbox.offers.a:0' }))
    remote.receive(answer('item', { seq: 1, body: 2 }))
    for await (const item of remote) if (item === 1) break
    assert.deepEqual(log, ['start', 'cancel kipc.inbox.offers.a:0', 'release'])
    remote.receive(answer('item', { seq: 2, body: 3 }))
    assert.deepEqual(await remote.next(), { done: true, value: undefined }, 'nothing after leaving')
  })

  it('a local failure (deadline, cancel) reaches a waiting reader and is told to the responder only when asked', async () => {
    const { remote, log } = stream()
    const reading = remote.next()
    await Promise.resolve()
    remote.cancel()
    const error: unknown = await reading.catch((caught: unknown) => caught)
    assert.ok(isKafkaIpcError(error, 'KIPC_CANCELLED'))
    assert.deepEqual(log, ['start', 'cancel ?', 'release'])
  })

  it('an item that fails the contract ends the stream and stops the responder; a single reply is a protocol error', async () => {
    const invalid = stream(() => Promise.reject(new Error('n: expected number')))
    invalid.remote.receive(answer('item', { seq: 0, body: 'x', replyTo: 'r:0' }))
    await assert.rejects(invalid.remote.next(), /expected number/)
    assert.deepEqual(invalid.log, ['start', 'cancel r:0', 'release'])
    const wrongKind = stream()
    wrongKind.remote.receive(answer('reply', { body: 1 }))
    await assert.rejects(wrongKind.remote.next(), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
  })
})
