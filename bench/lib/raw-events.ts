// The raw @platformatic/kafka reference for events: a Producer (acks=-1, idempotent) sending the
// same JSON values spread over the partitions, and a Consumer in its own group (the library's
// default autocommit) that parses each value. Two ways to send: one send() per event (the least
// code), or batched — every event emitted while a send is in flight joins the next send, as
// kafka-ipc's transport does (bench/lib/natural-batches.ts).
import { Admin, Consumer, type MessageToProduce, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { randomUUID } from 'node:crypto'
import { eventBody, type EventSystem, Tally } from './events.ts'
import { naturalBatches } from './natural-batches.ts'
import { waitUntil } from './run-env.ts'

type Message = MessageToProduce<string, string, string, string>

export async function startRawEvents(brokers: string[], partitions: number, sending: 'per-event' | 'batched', compression: 'none' | 'zstd' = 'none'): Promise<EventSystem> {
  const id = randomUUID().slice(0, 8)
  const topic = `raw-${id}-events`
  const admin = new Admin({ clientId: 'raw-admin', bootstrapBrokers: brokers })
  await admin.createTopics({ topics: [topic], partitions, replicas: -1 })
  const producer = new Producer({ clientId: 'raw-producer', bootstrapBrokers: brokers, serializers: stringSerializers, acks: -1, idempotent: true, ...(compression === 'none' ? {} : { compression }) })
  const consumer = new Consumer({ clientId: 'raw-consumer', groupId: `raw-${id}-sink`, bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 500, minBytes: 1 })
  const tally = new Tally()
  let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined
  const stop = async (): Promise<void> => {
    await stream?.close()
    await Promise.all([consumer.close(true), producer.close()])
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
    await admin.close()
  }
  try {
    stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
    stream.on('data', (message) => {
      JSON.parse(message.value)
      tally.tick()
    })
    await waitUntil(() => (consumer.assignments ?? []).reduce((sum, assignment) => sum + assignment.partitions.length, 0) === partitions, 'the raw consumer holds every partition')
  } catch (error) {
    await stop()
    throw error
  }
  const send = (messages: Message[]): Promise<unknown> => producer.send({ messages })
  const batched = sending === 'batched' ? naturalBatches(send) : send
  return {
    name: (sending === 'batched' ? 'raw @platformatic/kafka, batched sends' : 'raw @platformatic/kafka, one send() per event') + (compression === 'none' ? '' : `, ${compression}`),
    tally,
    // The library sends keyless records to partition 0; spread them as kafka-ipc does.
    emit: (seq) => batched([{ topic, partition: seq % partitions, value: JSON.stringify(eventBody(seq)) }]),
    stop,
  }
}
