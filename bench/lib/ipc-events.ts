// kafka-ipc events: a Client emitting a zod-validated event, a Service subscribed to it, each with
// its own Kafka transport (acks=all, idempotent producer; the service's consumer group commits
// past each handled event).
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { Client } from '../../src/core/client.ts'
import { event } from '../../src/core/contracts.ts'
import { type Compression, definePolicy } from '../../src/core/policy.ts'
import { Service } from '../../src/core/service.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { eventBody, type EventSystem, Tally } from './events.ts'
import { waitUntil } from './run-env.ts'

/** The benchmark's event, validated by zod on both sides as an application would. */
export const bulkEvent = event('bench.bulk', { body: z.object({ seq: z.number().int(), data: z.string() }) })

export async function startIpcEvents(brokers: string[], partitions: number, compression: Compression = 'none'): Promise<EventSystem> {
  const policy = definePolicy({ prefix: `bench-ev-${randomUUID().slice(0, 8)}`, partitions, compression })
  const sinkTransport = kafkaTransport({ brokers })
  const sourceTransport = kafkaTransport({ brokers })
  const tally = new Tally()
  const sink = new Service({ name: 'bench-sink', policy, transport: sinkTransport }).on(bulkEvent, () => {
    tally.tick()
  })
  const source = new Client({ name: 'bench-source', policy, transport: sourceTransport })
  const stop = async (): Promise<void> => {
    await source.close()
    await sink.close()
    await Promise.all([sinkTransport.close(), sourceTransport.close()])
  }
  try {
    await sink.listen()
    // Every partition assigned: no rebalance will pause consumption mid-measurement.
    await waitUntil(() => sink.assignments().length === partitions, 'the event subscription holds every partition')
  } catch (error) {
    await stop()
    throw error
  }
  return { name: compression === 'none' ? 'kafka-ipc' : `kafka-ipc, policy compression ${compression}`, tally, emit: (seq) => source.emit(bulkEvent, eventBody(seq)), stop }
}
