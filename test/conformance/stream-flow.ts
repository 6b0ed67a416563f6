// Stream flow control (docs/protocol.md §9, docs/reliability.md#stream-flow-control): a reader far
// slower than its responder holds at most the window; a reader that stops reading stalls the
// responder at the window until the deadline; a caller without a window gets the old behaviour;
// and a raw client paces a stream with nothing but `kipc-window` and `credit` records.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { stream } from '../../src/core/contracts.ts'
import { isKafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../src/core/policy.ts'
import { buildMessage, wireHeader } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { Service } from '../../src/core/service.ts'
import type { IncomingMessage, OutgoingMessage, Transport } from '../../src/core/transport.ts'
import { interceptSends } from '../support/intercepted-transport.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'
import { envelopeField } from '../../src/core/protocol/packed-envelope.ts'

const numbers = stream('echo', 'POST /numbers', { body: z.object({ count: z.number().int() }), item: z.object({ n: z.number().int() }) })

/** Items a stream record carries: one for `item`, the array's length for `items`, none for anything else. */
function itemsIn(message: { readonly headers: ReadonlyMap<string, string>; readonly value: Uint8Array }): number {
  const kind = envelopeField(message.headers, wireHeader.kind)
  if (kind === 'item') return 1
  if (kind === 'items') return (JSON.parse(Buffer.from(message.value).toString('utf8')) as unknown[]).length
  return 0
}

/** `inner`, counting the stream items it sends and the kinds of every record. */
function counting(inner: Transport): { transport: Transport; readonly items: () => number; readonly kinds: string[] } {
  let items = 0
  const kinds: string[] = []
  const transport = interceptSends(inner, (messages, options) => {
    for (const message of messages) {
      items += itemsIn(message)
      kinds.push(envelopeField(message.headers, wireHeader.kind) ?? '?')
    }
    return inner.send(messages, options)
  })
  return { transport, items: () => items, kinds }
}

/** `app` answering `numbers` with `{ n }` for n below the count asked, as fast as its generator runs. */
function answersNumbers(app: Service): Service {
  // eslint-disable-next-line @typescript-eslint/require-await
  return app.handle(numbers, async function* (request) {
    for (let n = 0; n < request.body.count; n++) yield { n }
  })
}

export function streamFlowSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('stream flow control', () => {
    it('a reader 100× slower than its responder holds at most the window, and gets every item in order', async () => {
      const window = 64
      const total = 2_000
      const { service, client, transport } = kit({ streamWindow: window })
      const responder = counting(transport())
      const caller = counting(transport())
      const app = service('echo', { transport: responder.transport })
      // As fast as it can: 2,000 items in a few milliseconds without flow control.
      await answersNumbers(app).listen()
      const items = client('caller', { transport: caller.transport }).stream(numbers, { body: { count: total }, timeout: 60_000 })
      const received: number[] = []
      let mostAhead = 0
      let mostBuffered = 0
      for await (const item of items) {
        received.push(item.n)
        // Sent but not yet read (this item counts as read), counted where the responder sends.
        const ahead = responder.items() - received.length
        mostAhead = Math.max(mostAhead, ahead)
        mostBuffered = Math.max(mostBuffered, items.buffered)
        assert.ok(ahead <= window, `the responder ran ${ahead} items ahead of the reader (window ${window})`)
        assert.ok(items.buffered <= window, `the caller buffered ${items.buffered} items (window ${window})`)
        // At least a millisecond an item: over 100× the responder's pace.
        await sleep(1)
      }
      assert.deepEqual(received, Array.from({ length: total }, (_, n) => n), 'every item, in order')
      assert.ok(mostAhead > window / 2, `the responder was held back by the window (at most ${mostAhead} ahead)`)
      assert.ok(mostBuffered > 0 && mostBuffered <= window, `buffered at most ${mostBuffered}`)
      assert.equal(responder.items(), total)
      // One credit per half window read, not one per item.
      assert.equal(caller.kinds.filter((kind) => kind === 'credit').length, Math.floor(total / (window / 2)))
    })

    it('fetch() of a stream route: a reader 100× slower than its responder holds at most the window in its body, and gets every item in order', async () => {
      const window = 64
      const total = 1_000
      const { service, client, transport } = kit({ streamWindow: window })
      const responder = counting(transport())
      const caller = counting(transport())
      const app = service('echo', { transport: responder.transport })
      await answersNumbers(app).listen()
      const response = await client('caller', { transport: caller.transport }).fetch('kafka://echo/numbers', { method: 'POST', body: JSON.stringify({ count: total }), headers: { 'content-type': 'application/json' }, timeout: 60_000 })
      assert.equal(response.headers.get('content-type'), 'application/x-ndjson')
      const reader = (response.body ?? assert.fail('a streaming body')).getReader()
      const decoder = new TextDecoder()
      const received: number[] = []
      let mostAhead = 0
      for (;;) {
        const read = await reader.read()
        if (read.done) break
        // One line of JSON per item.
        for (const line of decoder.decode(read.value as Uint8Array).split('\n')) if (line !== '') received.push((JSON.parse(line) as { n: number }).n)
        const ahead = responder.items() - received.length
        mostAhead = Math.max(mostAhead, ahead)
        assert.ok(ahead <= window, `the responder ran ${ahead} items ahead of the body's reader (window ${window})`)
        await sleep(1)
      }
      assert.deepEqual(received, Array.from({ length: total }, (_, n) => n), 'every item, in order')
      assert.ok(mostAhead > window / 2, `the responder was held back by the window (at most ${mostAhead} ahead)`)
      // One credit per half window read; none is due for what is read after the end arrived.
      const credits = caller.kinds.filter((kind) => kind === 'credit').length
      assert.ok(credits >= Math.floor(total / (window / 2)) - 1 && credits <= Math.floor(total / (window / 2)), `${String(credits)} credits`)
    })

    it("fetch() of a mounted app's streamed body: the app's body is read no further than a window past the reader", async () => {
      const window = 16
      const total = 400
      const { service, client, transport } = kit({ streamWindow: window })
      const responder = counting(transport())
      const app = service('echo', { transport: responder.transport })
      let produced = 0
      app.mount(() => {
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            // A pause after the first chunk makes the body a stream; then a chunk whenever asked.
            if (produced === 1) await sleep(30)
            controller.enqueue(new TextEncoder().encode(`${String(produced++)}\n`))
            if (produced === total) controller.close()
          },
        })
        return new Response(body, { headers: { 'content-type': 'text/plain' } })
      })
      await app.listen()
      const response = await client('caller').fetch('kafka://echo/lines', { timeout: 60_000 })
      const reader = (response.body ?? assert.fail('a streaming body')).getReader()
      let text = ''
      let chunks = 0
      for (;;) {
        const read = await reader.read()
        if (read.done) break
        chunks++
        text += new TextDecoder().decode(read.value as Uint8Array)
        const ahead = responder.items() - chunks
        assert.ok(ahead <= window, `the responder ran ${ahead} items ahead of the body's reader (window ${window})`)
        // The app's body is pulled one read ahead of what is sent, and no further.
        assert.ok(produced - chunks <= window + 2, `the app's body was read ${produced - chunks} chunks ahead (window ${window})`)
        await sleep(2)
      }
      assert.equal(text, Array.from({ length: total }, (_, n) => `${String(n)}\n`).join(''), 'every byte, in order')
      assert.equal(responder.items(), chunks)
    })

    it('a reader that stops reading stalls its responder at the window until the deadline aborts it, its buffer not growing', async () => {
      const window = 32
      const { service, client, transport, policy } = kit({ streamWindow: window })
      const responder = counting(transport())
      // The responder's own deadline (its maxTimeoutMs cuts the caller's) ends the stream, not the caller's cancel.
      const app = service('echo', { transport: responder.transport, policy: definePolicy({ ...policy, timeoutMs: 1_500, maxTimeoutMs: 1_500 }) })
      // What the generator's finally saw, read through a function: it is set while the test waits.
      let ending: { reason: unknown; afterMs: number } | undefined
      const ended = (): typeof ending => ending
      let started = 0
      // eslint-disable-next-line @typescript-eslint/require-await
      app.handle(numbers, async function* (request, context) {
        started = Date.now()
        try {
          for (let n = 0; n < request.body.count; n++) yield { n }
        } finally {
          ending = { reason: context.signal.reason, afterMs: Date.now() - started }
        }
      })
      await app.listen()
      const items = client('caller').stream(numbers, { body: { count: 1_000_000 }, timeout: 30_000 })
      const read: number[] = []
      for (let i = 0; i < 10; i++) {
        const next = await items.next()
        if (next.done === true) break
        read.push(next.value.n)
      }
      assert.deepEqual(read, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      // The reader stops here. The responder fills the window and waits; nothing more is sent.
      await waitUntil(() => responder.items() === window, 'the responder filled the window')
      await sleep(500)
      assert.equal(responder.items(), window, 'no item beyond the window while the reader does not read')
      assert.ok(items.buffered <= window, `the caller holds ${items.buffered} items`)
      assert.equal(ended(), undefined, 'the responder still waits')
      await waitUntil(() => ended() !== undefined, 'the deadline ended the waiting responder', 10_000)
      const { reason, afterMs } = ended() ?? { reason: undefined, afterMs: 0 }
      assert.ok(isKafkaIpcError(reason, 'KIPC_TIMEOUT'), `aborted by the deadline: ${String(reason)}`)
      assert.ok(afterMs >= 1_300, `at the deadline, not before (${afterMs} ms)`)
      assert.equal(responder.items(), window, 'still no item beyond the window')
      assert.ok(!responder.kinds.includes('end') && !responder.kinds.includes('error'), 'nothing is answered after the deadline')
      await items.return()
    })

    it('a caller that announces no window (streamWindow 0, or a build from before flow control) gets items as fast as they come, and sends no credit', async () => {
      const { service, client, transport } = kit({ streamWindow: 0 })
      const responder = counting(transport())
      const caller = counting(transport())
      const app = service('echo', { transport: responder.transport })
      await answersNumbers(app).listen()
      const items = client('caller', { transport: caller.transport }).stream(numbers, { body: { count: 500 }, timeout: 30_000 })
      const first = await items.next()
      assert.deepEqual(first.value, { n: 0 })
      await waitUntil(() => responder.kinds.includes('end'), 'the responder sent all 500 items and the end')
      assert.equal(responder.items(), 500)
      await waitUntil(() => items.buffered === 499, 'every item waits in the caller')
      let count = 1
      for await (const item of items) assert.equal(item.n, count++)
      assert.equal(count, 500)
      assert.equal(caller.kinds.filter((kind) => kind === 'credit').length, 0, 'no credit went back')
    })

    it('on the wire: kipc-window on the request, echoed on the items; each credit lets the responder run a window past the count it carries', async () => {
      const window = 5
      const { service, transport, policy } = kit()
      const app = service('echo')
      await answersNumbers(app).listen()
      const raw = transport()
      const records: IncomingMessage[] = []
      const inbox = await raw.openInbox({ topic: topicNames.inbox(policy, 'raw', 'flow'), retentionMs: 60_000, create: true, onError: () => undefined, onMessage: (message) => void records.push(message) })
      const id = `raw-flow-${Date.now().toString(36)}-stream`
      await raw.send([buildMessage({ topic: topicNames.requests(policy, 'echo') }, 'request', { replyTo: inbox.address, deadline: Date.now() + 30_000, method: numbers.method, path: numbers.path, service: 'raw', window }, { count: 12 }, policy.codec, policy.maxMessageBytes, undefined, id)])
      const itemCount = (): number => records.reduce((sum, record) => sum + itemsIn(record), 0)
      const credit = async (read: number): Promise<void> => {
        const replyTo = records.map((record) => envelopeField(record.headers, wireHeader.replyTo)).find((found) => found !== undefined)
        const to = topicNames.allowedInbox(policy, replyTo ?? '')
        assert.ok(to, `the items name the responder's inbox: ${String(replyTo)}`)
        const message: OutgoingMessage = buildMessage(to, 'credit', { correlation: id, service: 'raw', seq: read }, undefined, policy.codec, policy.maxMessageBytes)
        await raw.send([message])
      }
      await waitUntil(() => itemCount() === window, 'a first window of items')
      await sleep(300)
      assert.equal(itemCount(), window, 'no more without credit')
      for (const record of records) assert.equal(envelopeField(record.headers, wireHeader.window), String(window), 'each item record says the window is applied')
      await credit(3)
      await waitUntil(() => itemCount() === 8, 'credit for 3 read: up to 3 + 5 sent')
      await credit(2) // older than the last: changes nothing
      await sleep(300)
      assert.equal(itemCount(), 8)
      await credit(8)
      await waitUntil(() => records.some((record) => envelopeField(record.headers, wireHeader.kind) === 'end'), 'the rest and the end')
      assert.equal(itemCount(), 12)
      const end = records.find((record) => envelopeField(record.headers, wireHeader.kind) === 'end')
      assert.equal(envelopeField(end?.headers ?? new Map<string, string>(), wireHeader.seq), '12')
      await inbox.close(true)
    })
  })
}
