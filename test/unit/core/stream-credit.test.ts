// Stream flow control's accounting, without a transport: the responder's window, the caller's
// credit schedule, the caller's stream sending credit only to a responder that applies a window,
// and the wire fields (`kipc-window`, the `credit` kind) as written and read.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError, KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import type { Answer } from '../../../src/core/pending-calls.ts'
import { jsonCodec } from '../../../src/core/protocol/codec.ts'
import { buildMessage, readEnvelope, wireHeader } from '../../../src/core/protocol/envelope.ts'
import { unpackedHeaders } from '../../../src/core/protocol/packed-envelope.ts'
import { checkKind } from '../../../src/core/protocol/record-checks.ts'
import { RemoteStream } from '../../../src/core/remote-stream.ts'
import { RunningRequests } from '../../../src/core/running-requests.ts'
import { CreditGrants, CreditWindow } from '../../../src/core/stream-credit.ts'
import { definePolicy, loadPolicy } from '../../../src/core/policy.ts'

const never = new AbortController().signal

/** Whether a promise has settled after the microtasks queued now have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(
    () => (done = true),
    () => (done = true),
  )
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

describe('CreditWindow (the responder)', () => {
  it('lets a window of items through without waiting, then waits until a credit makes room', async () => {
    const credit = new CreditWindow(3)
    assert.deepEqual([credit.reserve(never), credit.reserve(never), credit.reserve(never)], [undefined, undefined, undefined])
    const fourth = credit.reserve(never)
    assert.ok(fourth instanceof Promise, 'the fourth item waits')
    assert.equal(await settled(fourth), false)
    assert.equal(credit.sent, 3)
    credit.grant(1)
    await fourth
    assert.equal(credit.sent, 4, 'the waiting item counts once credit came')
    assert.ok(credit.reserve(never) instanceof Promise, 'read 1 + window 3 = 4 sent: full again')
  })

  it('takes credits as cumulative counts: a copy or an older one changes nothing', async () => {
    const credit = new CreditWindow(2)
    assert.equal(credit.reserve(never), undefined)
    assert.equal(credit.reserve(never), undefined)
    credit.grant(2)
    assert.equal(credit.read, 2)
    credit.grant(1)
    credit.grant(2)
    assert.equal(credit.read, 2)
    assert.equal(credit.reserve(never), undefined)
    assert.equal(credit.reserve(never), undefined)
    const waiting = credit.reserve(never)
    assert.ok(waiting instanceof Promise)
    credit.grant(2) // a copy of the last credit: still no room
    assert.equal(await settled(waiting), false)
    credit.grant(3)
    await waiting
  })

  it("ends the wait with the signal's reason: a cancel, the deadline or a shutdown", async () => {
    const credit = new CreditWindow(1)
    const controller = new AbortController()
    assert.equal(credit.reserve(controller.signal), undefined)
    const waiting = credit.reserve(controller.signal)
    controller.abort(new KafkaIpcError('KIPC_TIMEOUT', 'The deadline passed.'))
    await assert.rejects(waiting ?? Promise.resolve(), (error: unknown) => isKafkaIpcError(error, 'KIPC_TIMEOUT'))
    assert.equal(credit.sent, 1, 'the item that waited was not sent')
    await assert.rejects(credit.reserve(controller.signal) ?? Promise.resolve(), (error: unknown) => isKafkaIpcError(error, 'KIPC_TIMEOUT'), 'an aborted signal ends a new wait at once')
  })

  it('reaches the stream it names through the running requests, until the request finishes', async () => {
    const running = new RunningRequests()
    running.start('r1')
    const credit = running.limit('r1', 1)
    assert.equal(credit.reserve(never), undefined)
    const waiting = credit.reserve(never)
    running.credit('other', 5)
    running.credit('r1', undefined)
    assert.equal(await settled(waiting ?? Promise.resolve()), false, 'a credit naming another request, or no count, is ignored')
    running.credit('r1', 1)
    await waiting
    running.finish('r1')
    running.credit('r1', 10)
    assert.equal(credit.read, 1, 'a credit after the request finished reaches nothing')
  })
})

describe('CreditGrants (the caller)', () => {
  it('grants the cumulative count read every half window', () => {
    const grants = new CreditGrants(8)
    const sent = Array.from({ length: 12 }, () => grants.took())
    assert.deepEqual(sent, [undefined, undefined, undefined, 4, undefined, undefined, undefined, 8, undefined, undefined, undefined, 12])
    assert.equal(grants.read, 12)
  })

  it('grants every item with a window of 1, and every ceil(window / 2) with an odd one', () => {
    const one = new CreditGrants(1)
    assert.deepEqual([one.took(), one.took()], [1, 2])
    const five = new CreditGrants(5)
    assert.deepEqual([five.took(), five.took(), five.took(), five.took(), five.took(), five.took()], [undefined, undefined, 3, undefined, undefined, 6])
  })
})

const item = (seq: number, window: string | undefined): Answer => ({
  kind: 'item',
  body: seq,
  status: 200,
  service: 'offers',
  seq,
  replyTo: 'kipc.inbox.offers.r1:0',
  wireHeaders: new Map(window === undefined ? [] : [[wireHeader.window, window]]),
})

/** A caller's stream with a window of 4, recording the credits it sends. */
function creditedStream(window: number | undefined): { remote: RemoteStream<number>; credits: string[] } {
  const credits: string[] = []
  const remote = new RemoteStream<number>({
    service: 'offers',
    start: () => Promise.resolve(),
    cancel: () => undefined,
    release: () => undefined,
    validateItem: (body) => Promise.resolve(body as number),
    window,
    credit: (responder, read) => credits.push(`${responder ?? '?'} ${read}`),
  })
  return { remote, credits }
}

describe('RemoteStream credit', () => {
  it("sends credit to the item's inbox every half window read, when the responder's items carry the window", async () => {
    const { remote, credits } = creditedStream(4)
    for (let seq = 0; seq < 4; seq++) remote.receive(item(seq, '4'))
    assert.equal(remote.buffered, 4)
    const read: number[] = []
    for (let i = 0; i < 4; i++) {
      const next = await remote.next()
      if (next.done !== true) read.push(next.value)
    }
    assert.deepEqual(read, [0, 1, 2, 3])
    assert.equal(remote.buffered, 0)
    assert.deepEqual(credits, ['kipc.inbox.offers.r1:0 2', 'kipc.inbox.offers.r1:0 4'])
  })

  it('sends no credit to a responder that does not apply a window (a build from before flow control), nor when the caller announced none', async () => {
    for (const [announced, echoed] of [
      [4, undefined],
      [undefined, '4'],
    ] as const) {
      const { remote, credits } = creditedStream(announced)
      for (let seq = 0; seq < 6; seq++) remote.receive(item(seq, echoed))
      remote.receive({ kind: 'end', body: undefined, status: 200, service: 'offers', seq: 6, replyTo: undefined })
      const read: number[] = []
      for await (const value of remote) read.push(value)
      assert.equal(read.length, 6)
      assert.deepEqual(credits, [])
    }
  })

  it('does not count a repeated item as read', async () => {
    const { remote, credits } = creditedStream(2)
    for (const seq of [0, 0, 1, 1, 2]) remote.receive(item(seq, '2'))
    remote.receive({ kind: 'end', body: undefined, status: 200, service: 'offers', seq: 3, replyTo: undefined })
    const read: number[] = []
    for await (const value of remote) read.push(value)
    assert.deepEqual(read, [0, 1, 2])
    assert.deepEqual(credits, ['kipc.inbox.offers.r1:0 1', 'kipc.inbox.offers.r1:0 2', 'kipc.inbox.offers.r1:0 3'])
  })
})

describe('flow control on the wire', () => {
  it('writes and reads kipc-window; a credit is an inbox kind carrying its count in kipc-seq', () => {
    const request = buildMessage({ topic: 'kipc.offers.requests' }, 'request', { replyTo: 'kipc.inbox.a.b:0', method: 'POST', path: '/search', window: 4096 }, {}, jsonCodec, 1_000)
    const read = unpackedHeaders(request.headers)
    assert.equal(read.get('kipc-window'), '4096')
    assert.equal(readEnvelope(read).window, 4096)
    const credit = buildMessage({ topic: 'kipc.inbox.offers.r1', partition: 0 }, 'credit', { correlation: 'req-1', seq: 2048 }, undefined, jsonCodec, 1_000)
    const envelope = readEnvelope(unpackedHeaders(credit.headers))
    assert.deepEqual([envelope.kind, envelope.correlation, envelope.seq, envelope.window], ['credit', 'req-1', 2048, undefined])
    checkKind('inbox', envelope, 'kipc.inbox.offers.r1')
    assert.throws(() => {
      checkKind('requests', envelope, 'kipc.offers.requests')
    }, (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
    assert.throws(() => readEnvelope(new Map([...read, ['kipc-window', '-1']])), (error: unknown) => isKafkaIpcError(error, 'KIPC_PROTOCOL_ERROR'))
  })

  it('takes the window from the policy: 4096 by default, KIPC_STREAM_WINDOW, 0 for off, anything else refused', () => {
    assert.equal(definePolicy().streamWindow, 4_096)
    assert.equal(loadPolicy({ env: { KIPC_STREAM_WINDOW: '64' } }).streamWindow, 64)
    assert.equal(definePolicy({ streamWindow: 0 }).streamWindow, 0)
    for (const streamWindow of [-1, 1.5, 2_000_000_000]) {
      assert.throws(() => definePolicy({ streamWindow }), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_POLICY') && /streamWindow/.test(error.message))
    }
    assert.throws(() => loadPolicy({ env: { KIPC_STREAM_WINDOW: 'lots' } }), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_POLICY') && /KIPC_STREAM_WINDOW/.test(error.message))
  })
})
