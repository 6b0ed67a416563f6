// What a call or an open stream keeps while it waits for its answers: not the caller's arguments.
// The body is needed only until it is encoded; a call held for seconds (a slow responder, a long
// deadline) or a stream open for minutes that kept the caller's object graph alive would hold it —
// at hundreds of calls in flight, hundreds of them — and V8 would allocate the caller's own
// objects of that kind in the old generation once a burst of them all waited through a young
// collection (docs/performance.md).
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { route, stream } from '../../../src/core/contracts.ts'
import { stderrLogger } from '../../../src/core/logger.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'

const slow = route('pricing', 'POST /quotes', { body: z.object({ seats: z.array(z.string()) }), reply: z.object({ price: z.number() }) })
const search = stream('pricing', 'POST /search', { body: z.object({ seats: z.array(z.string()) }), item: z.object({ fare: z.number() }) })
const quiet = stderrLogger('silent')

/** Lets the current turn end: a WeakRef made or read in it keeps its target until then. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('a call or a stream waiting for its answers', () => {
  it("does not keep the caller's body, nor its arguments, alive once the request is sent", async () => {
    setFlagsFromString('--expose-gc')
    const collect = runInNewContext('gc') as () => void
    const transport = memoryTransport()
    const policy = definePolicy({ prefix: 'waiting' })
    let handlerRan = (): void => undefined
    const reached = new Promise<void>((resolve) => {
      handlerRan = resolve
    })
    let answer = (): void => undefined
    // The responder takes the request and answers only when the test lets it: the call waits.
    const service = new Service({ name: 'pricing', policy, transport, logger: quiet }).handle(slow, () => {
      handlerRan()
      return new Promise<{ price: number }>((resolve) => {
        answer = () => {
          resolve({ price: 120 })
        }
      })
    })
    const client = new Client({ name: 'web', policy, transport, logger: quiet })
    try {
      await service.listen()
      await client.ready()
      const { call, body, args } = (() => {
        const sent = { seats: Array.from({ length: 100 }, (_, index) => `seat-${String(index)}`) }
        const given = { body: sent, timeout: 60_000 }
        return { call: client.call(slow, given).catch((error: unknown) => error), body: new WeakRef(sent), args: new WeakRef(given) }
      })()
      await reached
      await turn()
      collect()
      assert.equal(body.deref(), undefined, 'the body was collected while the call waits')
      assert.equal(args.deref(), undefined, 'so were the arguments')
      answer()
      assert.deepEqual(await call, { price: 120 }, 'the call was waiting, and takes its answer')
    } finally {
      answer()
      await client.close()
      await service.close()
    }
  })

  it("an open stream does not keep the caller's body, nor its arguments, alive once its request is sent", async () => {
    setFlagsFromString('--expose-gc')
    const collect = runInNewContext('gc') as () => void
    const transport = memoryTransport()
    const policy = definePolicy({ prefix: 'streaming' })
    let finish = (): void => undefined
    const finished = new Promise<void>((resolve) => {
      finish = resolve
    })
    // One item at once, the last when the test lets it: the stream stays open in between.
    const service = new Service({ name: 'pricing', policy, transport, logger: quiet }).handle(search, async function* () {
      yield { fare: 1 }
      await finished
      yield { fare: 2 }
    })
    const client = new Client({ name: 'web', policy, transport, logger: quiet })
    try {
      await service.listen()
      await client.ready()
      const { fares, body, args } = (() => {
        const sent = { seats: Array.from({ length: 100 }, (_, index) => `seat-${String(index)}`) }
        const given = { body: sent, timeout: 60_000 }
        return { fares: client.stream(search, given)[Symbol.asyncIterator](), body: new WeakRef(sent), args: new WeakRef(given) }
      })()
      assert.deepEqual((await fares.next()).value, { fare: 1 }, 'the stream is open')
      await turn()
      collect()
      assert.equal(body.deref(), undefined, 'the body was collected while the stream is open')
      assert.equal(args.deref(), undefined, 'so were the arguments')
      finish()
      assert.deepEqual((await fares.next()).value, { fare: 2 }, 'and it goes on')
      assert.equal((await fares.next()).done, true)
    } finally {
      finish()
      await client.close()
      await service.close()
    }
  })
})

