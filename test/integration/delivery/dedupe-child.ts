// A billing service in its own process, for the redelivery test. It handles one request and one
// event, then dies by SIGKILL before either offset is committed: each record's onResponse hook —
// which runs after the reply is sent and the run recorded, before the record counts as finished —
// waits until both records got there, then kills the process. With $DEDUPE_URL its runs are
// recorded in PostgreSQL; without, only in memory (lost with the process).
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { definePolicy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { postgresDeduplicationStore } from '../../../src/stores/postgres-deduplication-store.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { charge, paid } from './charge-contracts.ts'

const url = process.env['DEDUPE_URL']
const policy = definePolicy({ prefix: process.env['KIPC_PREFIX'] ?? '', partitions: 1 })
const deduplication = url === undefined ? {} : { deduplication: postgresDeduplicationStore({ pool: new pg.Pool({ connectionString: url }) }) }
const app = new Service({ name: 'billing', policy, transport: kafkaTransport(), ownsTransport: true, instanceId: 'doomed', ...deduplication })
app.handle(charge, (request) => {
  process.stdout.write(`ran request ${request.params.order}\n`)
  return { charge: randomUUID() }
})
app.on(paid, (event) => {
  process.stdout.write(`ran event ${event.body.order}\n`)
})
let finished = 0
const both = Promise.withResolvers<undefined>()
app.addHook('onResponse', async () => {
  if (++finished === 2) both.resolve(undefined)
  await both.promise
  process.kill(process.pid, 'SIGKILL')
})
await app.listen()
process.stdout.write('listening\n')
