// A service as an application runs it: created with createService (so it shuts down on SIGTERM
// and SIGINT by itself), handling POST /work slowly. Prints when it listens and how long that took.
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { route } from '../../../src/core/contracts.ts'
import { createService } from '../../../src/create.ts'

const work = route('draining', 'POST /work', { body: z.object({ id: z.number(), ms: z.number() }), reply: z.object({ id: z.number(), by: z.string() }) })
const started = performance.now()
const app = createService({ name: 'draining', instanceId: process.env['INSTANCE'] ?? 'first', shutdown: { graceMs: Number(process.env['GRACE_MS'] ?? 15_000) } })
app.handle(work, async (request) => {
  await sleep(request.body.ms)
  return { id: request.body.id, by: app.client.instanceId }
})
await app.listen()
console.log(`listening in ${Math.round(performance.now() - started)} ms`)
