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
if (process.env['MODE'] === 'own-handler') {
  // The application's own once-handler: its exit is the application's, after its own clean-up.
  process.once('SIGTERM', () => {
    void app.close().then(async () => {
      await sleep(300)
      console.log('own clean-up finished')
      process.exit(0)
    })
  })
}
if (process.env['MODE'] === 'two-services') {
  // A second service that shuts down on SIGHUP only: SIGHUP must not close the first one.
  const other = createService({ name: 'other', shutdown: { signals: ['SIGHUP'], graceMs: 1_000 } })
  await other.listen()
  const close = other.close.bind(other)
  other.close = () => {
    console.log('other closing')
    return close()
  }
  const closeApp = app.close.bind(app)
  app.close = () => {
    console.log('draining closing')
    return closeApp()
  }
}
await app.listen()
console.log(`listening in ${Math.round(performance.now() - started)} ms`)
