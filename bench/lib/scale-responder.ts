// Child program of bench/scale-out.ts: ONE responder instance of the "bench" service — the echo
// route of bench/lib/systems.ts, default policy but for its prefix and partition count — alone in
// this process, as an instance runs in production. Every responder the parent starts joins the
// same consumer group, so they share the requests topic's partitions.
// Usage (forked): scale-responder.ts <policy prefix> <partitions>   (KAFKA_BROKERS set)
import { definePolicy } from '../../src/core/policy.ts'
import { Service } from '../../src/core/service.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { countKafkaRequests } from './scale-api-counts.ts'
import { onParentMessage, tellParent } from './scale-messages.ts'
import { echo } from './systems.ts'

const [prefix = 'bench', partitions = '12'] = process.argv.slice(2)
const requests = countKafkaRequests()
const policy = definePolicy({ prefix, partitions: Number(partitions) })
const service = new Service({ name: echo.service, policy, transport: kafkaTransport(), ownsTransport: true }).handle(echo, (request) => request.body)
await service.listen()

let cpuAtMark = process.cpuUsage()
let handledAtMark = service.stats().handled
onParentMessage((message) => {
  switch (message.type) {
    case 'assignments':
      tellParent({ type: 'assignments', partitions: service.assignments().length })
      break
    case 'mark':
      cpuAtMark = process.cpuUsage()
      handledAtMark = service.stats().handled
      requests.reset()
      tellParent({ type: 'marked' })
      break
    case 'report': {
      const cpu = process.cpuUsage(cpuAtMark)
      tellParent({ type: 'report', cpuMs: (cpu.user + cpu.system) / 1000, api: requests.counts(), handled: service.stats().handled - handledAtMark })
      break
    }
    case 'stop':
      // Graceful: the group hears this member leave, the inbox topic is deleted.
      void service.close().then(() => process.exit(0))
      break
    default:
      break
  }
})
tellParent({ type: 'ready', pid: process.pid })
