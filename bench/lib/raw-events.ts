// The raw @platformatic/kafka reference for events: a Producer (acks=-1, idempotent) sending the
// same JSON values spread over the partitions, and a Consumer in its own group (the library's
// default autocommit) that parses each value. Two ways to send: one send() per event (the least
// code), or batched — every event emitted while a send is in flight joins the next send, as
// kafka-ipc's transport does (bench/lib/natural-batches.ts). Batched sends may also carry one
// header like kafka-ipc's: a `kipc` header with the packed envelope kafka-ipc writes on this event
// (version, kind, a fresh message id, the sender), which the consumer reads — what the client
// library costs a record for the header alone, without anything kafka-ipc does with it.
import { Admin, Consumer, type MessageToProduce, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { randomUUID } from 'node:crypto'
import { newMessageId } from '../../src/core/protocol/message-id.ts'
import { packFields } from '../../src/core/protocol/packed-envelope.ts'
import { eventBody, type EventSystem, Tally } from './events.ts'
import { naturalBatches } from './natural-batches.ts'
import { waitUntil } from './run-env.ts'

type Message = MessageToProduce<string, string, string, string>

/** How the raw reference sends: one send() per event, batched, or batched with kafka-ipc's envelope header on every record. */
export type RawSending = 'per-event' | 'batched' | 'batched-with-header'

export async function startRawEvents(brokers: string[], partitions: number, sending: RawSending, compression: 'none' | 'zstd' = 'none'): Promise<EventSystem> {
  const id = randomUUID().slice(0, 8)
  const topic = `raw-${id}-events`
  const admin = new Admin({ clientId: 'raw-admin', bootstrapBrokers: brokers })
  await admin.createTopics({ topics: [topic], partitions, replicas: -1 })
  const producer = new Producer({ clientId: 'raw-producer', bootstrapBrokers: brokers, serializers: stringSerializers, acks: -1, idempotent: true, ...(compression === 'none' ? {} : { compression }) })
  const consumer = new Consumer({ clientId: 'raw-consumer', groupId: `raw-${id}-sink`, bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 500, minBytes: 1 })
  const tally = new Tally()
  const withHeader = sending === 'batched-with-header'
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
      if (withHeader && message.headers.get('kipc') === undefined) throw new Error('a record without its kipc header')
      tally.tick()
    })
    await waitUntil(() => (consumer.assignments ?? []).reduce((sum, assignment) => sum + assignment.partitions.length, 0) === partitions, 'the raw consumer holds every partition')
  } catch (error) {
    await stop()
    throw error
  }
  const send = (messages: Message[]): Promise<unknown> => producer.send({ messages })
  const batched = sending === 'per-event' ? send : naturalBatches(send)
  return {
    name: `raw @platformatic/kafka, ${sendingNames[sending]}${compression === 'none' ? '' : `, ${compression}`}`,
    tally,
    // The library sends keyless records to partition 0; spread them as kafka-ipc does.
    emit: withHeader
      ? (seq) => batched([{ topic, partition: seq % partitions, value: JSON.stringify(eventBody(seq)), headers: new Map([['kipc', packFields('1', 'event', newMessageId(), { service: 'bench-source' })]]) }])
      : (seq) => batched([{ topic, partition: seq % partitions, value: JSON.stringify(eventBody(seq)) }]),
    stop,
  }
}

const sendingNames: Record<RawSending, string> = {
  'per-event': 'one send() per event',
  batched: 'batched sends',
  'batched-with-header': "batched sends, kafka-ipc's envelope header",
}
