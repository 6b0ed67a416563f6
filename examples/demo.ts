// `npm run demo`: a real Kafka started from this machine's Java (or KAFKA_BROKERS), and one
// produce → consume round trip through it, told step by step. The airline example replaces this
// once the service/client core lands.
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { LocalKafka } from 'kafka-ipc/local-kafka'

const say = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

const external = process.env['KAFKA_BROKERS']
let kafka: LocalKafka | undefined
let brokers: string[]
if (external !== undefined && external !== '') {
  brokers = external.split(',')
  say(`Using the Kafka at ${external} (KAFKA_BROKERS).`)
} else {
  say('Starting a local Apache Kafka (no Docker: Java + the Maven Central jars)…')
  kafka = await LocalKafka.start({ log: (line) => { say(`  ${line}`); } })
  brokers = kafka.brokers
  const [node] = await kafka.status()
  say(`Kafka ${kafka.kafkaVersion} ready at ${kafka.bootstrap} in ${kafka.readyInMs} ms (RSS ${((node?.residentBytes ?? 0) / 2 ** 20).toFixed(0)} MiB).`)
}

const topic = `demo.bookings.${Date.now()}`
const admin = new Admin({ clientId: 'demo', bootstrapBrokers: brokers })
const producer = new Producer({ clientId: 'demo', bootstrapBrokers: brokers, serializers: stringSerializers, acks: -1, idempotent: true })
const consumer = new Consumer({ clientId: 'demo', groupId: `demo-${Date.now()}`, bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 100 })
try {
  await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
  say(`Created topic ${topic} with 3 partitions.`)

  const bookings = [
    { key: 'B-100', value: { from: 'WAW', to: 'JFK', seats: 2 } },
    { key: 'B-200', value: { from: 'LHR', to: 'SFO', seats: 1 } },
    { key: 'B-100', value: { from: 'WAW', to: 'JFK', seats: 3, change: 'seat added' } },
  ]
  const began = performance.now()
  await producer.send({
    messages: bookings.map((booking, index) => ({
      topic,
      key: booking.key,
      value: JSON.stringify(booking.value),
      headers: { 'content-type': 'application/json', 'x-seq': String(index) },
    })),
  })
  say(`Produced ${bookings.length} records (acks=all, idempotent), keyed by booking id.`)

  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
  let seen = 0
  for await (const message of stream) {
    say(`  consumed partition ${message.partition} offset ${message.offset}: ${message.key} → ${message.value} [x-seq=${message.headers.get('x-seq') ?? '?'}]`)
    if (++seen === bookings.length) break
  }
  await stream.close()
  say(`Round trip of ${seen} records took ${(performance.now() - began).toFixed(0)} ms, including the consumer joining its group.`)
} finally {
  await consumer.close(true)
  await producer.close()
  await admin.close()
  if (kafka !== undefined) {
    await kafka.stop()
    say('Stopped the local Kafka; nothing is left running.')
  }
}
