// An instance as an application runs it — createService with the policy from the environment
// (KIPC_PREFIX, KIPC_INBOX_IDLE_MS) — that prints its inbox once it listens, then lives until it
// is killed: the inbox sweep test SIGKILLs most of these and keeps one.
import { z } from 'zod'
import { route } from '../../../src/core/contracts.ts'
import { createService } from '../../../src/create.ts'

const ping = route(process.env['SERVICE'] ?? 'sweep-victim', 'GET /ping', { reply: z.object({ instance: z.string() }) })
const app = createService({ name: ping.service, instanceId: process.env['INSTANCE'] ?? 'a' })
app.handle(ping, () => ({ instance: app.client.instanceId }))
await app.listen()
console.log(`inbox ${app.client.address ?? '?'}`)
