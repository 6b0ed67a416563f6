// A ledger service in its own process, for the crash test: prints `start <seq> <offset>` when a
// handler starts and `done <seq>` when it finishes; the event whose seq is $HANG_SEQ never finishes,
// so the parent can SIGKILL the process in the middle of it.
import { Service } from '../../../src/core/service.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { ledgerEvent } from './ledger-event.ts'

const hangSeq = Number(process.env['HANG_SEQ'])
const policy = definePolicy({ prefix: process.env['KIPC_PREFIX'] ?? '', partitions: 1 })
const app = new Service({ name: 'ledger', policy, transport: kafkaTransport(), ownsTransport: true, instanceId: 'doomed' })
app.on(ledgerEvent, async (event, context) => {
  process.stdout.write(`start ${event.body.seq} ${context.offset}\n`)
  if (event.body.seq === hangSeq) await new Promise(() => undefined)
  process.stdout.write(`done ${event.body.seq}\n`)
})
await app.listen()
process.stdout.write('listening\n')
