// Child program of bench/scale-out.ts: ONE caller instance — a kafka-ipc Client with its own inbox —
// that keeps `concurrency` calls of the echo route (bench/lib/systems.ts) in flight for as long as
// the parent says. Latencies are kept only for calls that finish inside the measured window, so
// every caller's window is the same length and the throughput is calls / window.
// Usage (forked): scale-caller.ts <policy prefix> <partitions> <concurrency>   (KAFKA_BROKERS set)
import { Client } from '../../src/core/client.ts'
import { definePolicy } from '../../src/core/policy.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { countKafkaRequests } from './scale-api-counts.ts'
import { onParentMessage, tellParent } from './scale-messages.ts'
import { echo, payload } from './systems.ts'

const [prefix = 'bench', partitions = '12', concurrencyArgument = '128'] = process.argv.slice(2)
const concurrency = Number(concurrencyArgument)
const requests = countKafkaRequests()
const policy = definePolicy({ prefix, partitions: Number(partitions) })
const client = new Client({ name: 'scale-caller', policy, transport: kafkaTransport(), ownsTransport: true })
await client.ready()

/** Runs `concurrency` lanes of calls until `ms` have passed; `record` gets each latency that ended in time. */
async function callFor(ms: number, record: ((latency: number) => void) | undefined): Promise<{ calls: number; failed: number }> {
  const deadline = performance.now() + ms
  let next = 0
  let calls = 0
  let failed = 0
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const started = performance.now()
      try {
        await client.call(echo, { body: payload(next++) })
        const ended = performance.now()
        // A call still running at the deadline is awaited but not counted: the window stays `ms` long.
        if (ended <= deadline) {
          calls++
          record?.(ended - started)
        }
      } catch {
        failed++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  return { calls, failed }
}

let cpuAtMark = process.cpuUsage()
onParentMessage((message) => {
  switch (message.type) {
    case 'warmup':
      void callFor(message.ms, undefined).then(({ calls, failed }) => {
        tellParent({ type: 'warmed', calls, failed })
      })
      break
    case 'measure': {
      const latencies: number[] = []
      void callFor(message.ms, (latency) => latencies.push(latency)).then(({ failed }) => {
        tellParent({ type: 'measured', latencies: Float64Array.from(latencies), failed })
      })
      break
    }
    case 'mark':
      cpuAtMark = process.cpuUsage()
      requests.reset()
      tellParent({ type: 'marked' })
      break
    case 'report': {
      const cpu = process.cpuUsage(cpuAtMark)
      tellParent({ type: 'report', cpuMs: (cpu.user + cpu.system) / 1000, api: requests.counts(), handled: 0 })
      break
    }
    case 'stop':
      void client.close().then(() => process.exit(0))
      break
    default:
      break
  }
})
tellParent({ type: 'ready', pid: process.pid })
