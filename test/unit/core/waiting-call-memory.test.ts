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

/** Collects garbage at once: whatever the caller no longer holds is gone after it. */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc')
  await turn()
  ;(runInNewContext('gc') as () => void)()
}

/** A promise and the function that resolves it, for a responder that waits until the test lets it go on. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

/** The caller's arguments for a request with a body of 100 seats, and weak references to both. */
function callerArgs(): { given: { body: { seats: string[] }; timeout: number }; body: WeakRef<object>; args: WeakRef<object> } {
  const sent = { seats: Array.from({ length: 100 }, (_, index) => `seat-${String(index)}`) }
  const given = { body: sent, timeout: 60_000 }
  return { given, body: new WeakRef(sent), args: new WeakRef(given) }
}

/**
 * A pricing service set up by `serve` and a client, both listening on one memory transport, for
 * `run`; `release` lets a held responder go on before both close.
 */
async function withPricing(serve: (service: Service) => void, release: () => void, run: (client: Client) => Promise<void>): Promise<void> {
  const transport = memoryTransport()
  const policy = definePolicy({ prefix: 'waiting' })
  const service = new Service({ name: 'pricing', policy, transport, logger: quiet })
  serve(service)
  const client = new Client({ name: 'web', policy, transport, logger: quiet })
  try {
    await service.listen()
    await client.ready()
    await run(client)
  } finally {
    release()
    await client.close()
    await service.close()
  }
}

describe('a call or a stream waiting for its answers', () => {
  it("does not keep the caller's body, nor its arguments, alive once the request is sent", async () => {
    const reached = gate()
    const answer = gate()
    // The responder takes the request and answers only when the test lets it: the call waits.
    const serve = (service: Service): void => {
      service.handle(slow, async () => {
        reached.open()
        await answer.opened
        return { price: 120 }
      })
    }
    await withPricing(serve, answer.open, async (client) => {
      const { call, body, args } = (() => {
        const { given, ...refs } = callerArgs()
        return { call: client.call(slow, given).catch((error: unknown) => error), ...refs }
      })()
      await reached.opened
      await collectGarbage()
      assert.equal(body.deref(), undefined, 'the body was collected while the call waits')
      assert.equal(args.deref(), undefined, 'so were the arguments')
      answer.open()
      assert.deepEqual(await call, { price: 120 }, 'the call was waiting, and takes its answer')
    })
  })

  it("an open stream does not keep the caller's body, nor its arguments, alive once its request is sent", async () => {
    const last = gate()
    // One item at once, the last when the test lets it: the stream stays open in between.
    const serve = (service: Service): void => {
      service.handle(search, async function* () {
        yield { fare: 1 }
        await last.opened
        yield { fare: 2 }
      })
    }
    await withPricing(serve, last.open, async (client) => {
      const { fares, body, args } = (() => {
        const { given, ...refs } = callerArgs()
        return { fares: client.stream(search, given)[Symbol.asyncIterator](), ...refs }
      })()
      assert.deepEqual((await fares.next()).value, { fare: 1 }, 'the stream is open')
      await collectGarbage()
      assert.equal(body.deref(), undefined, 'the body was collected while the stream is open')
      assert.equal(args.deref(), undefined, 'so were the arguments')
      last.open()
      assert.deepEqual((await fares.next()).value, { fare: 2 }, 'and it goes on')
      assert.equal((await fares.next()).done, true)
    })
  })
})
