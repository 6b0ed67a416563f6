// A service's `running` count (and the kafka_ipc_handlers_in_flight gauge) is the handlers running
// now: a request whose handler has returned and whose reply waits for the broker no longer counts,
// whether the service has hooks (the full handling) or not (the quick way).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { route } from '../../../src/core/contracts.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import type { OutgoingMessage, SendOptions } from '../../../src/core/transport.ts'
import { MemoryBroker, memoryTransport } from '../../../src/transports/memory/index.ts'
import { carriesReply, interceptSends } from '../../support/intercepted-transport.ts'

const ping = route('pinger', 'POST /ping', { body: z.object({ n: z.number() }), reply: z.object({ n: z.number() }) })

async function countedWhileRepliesWait(hooked: boolean): Promise<{ whileWaiting: number; handled: number; afterwards: number }> {
  const broker = new MemoryBroker()
  const policy = definePolicy({ prefix: hooked ? 'wh' : 'wp', partitions: 1 })
  const inner = memoryTransport(broker)
  const held: (() => void)[] = []
  // Replies wait here until released; everything else goes through.
  const transport = interceptSends(inner, (messages: readonly OutgoingMessage[], options?: SendOptions) => {
    if (!carriesReply(messages)) return inner.send(messages, options)
    return new Promise<void>((resolve, reject) => held.push(() => { inner.send(messages, options).then(resolve, reject) }))
  })
  let handled = 0
  const service = new Service({ name: 'pinger', policy, transport })
  if (hooked) service.addHook('onResponse', () => undefined)
  service.handle(ping, (request) => {
    handled++
    return { n: request.body.n }
  })
  await service.listen()
  const client = new Client({ name: 'caller', policy, transport: memoryTransport(broker) })
  try {
    const calls = [1, 2, 3].map((n) => client.call(ping, { body: { n } }))
    for (let wait = 0; held.length < 3 && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, 10))
    const whileWaiting = service.stats().running
    for (const release of held.splice(0)) release()
    await Promise.all(calls)
    for (let wait = 0; service.stats().handled < 3 && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, 10))
    return { whileWaiting, handled, afterwards: service.stats().running }
  } finally {
    await client.close()
    await service.close()
  }
}

describe('handlers running', () => {
  it('count no request whose handler returned and whose reply waits for the broker, with hooks and without', async () => {
    const [plain, hooked] = [await countedWhileRepliesWait(false), await countedWhileRepliesWait(true)]
    assert.deepEqual(plain, { whileWaiting: 0, handled: 3, afterwards: 0 })
    assert.deepEqual(hooked, plain)
  })
})
