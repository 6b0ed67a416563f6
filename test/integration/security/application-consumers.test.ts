// kafka-ipc bounds the inflating of compressed record batches inside @platformatic/kafka
// (docs/security.md#compressed-batches) for its own consumers only: an application's own consumer
// of the same client library, in the same process, reads what it always read. Against a real
// broker, one zstd batch of 12 MiB of zeros — past the 8 MiB limit — is written to an
// application's topic and to a kafka-ipc service's event topic: the application's consumer gets
// the 12 MiB record, the service skips its copy unread and reports it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Admin, Consumer, type MessagesStream } from '@platformatic/kafka'
import { z } from 'zod'
import { event } from '../../../src/core/contracts.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { buildMessage } from '../../../src/core/protocol/envelope.ts'
import { topicNames } from '../../../src/core/protocol/topic-names.ts'
import { Service } from '../../../src/core/service.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { waitUntil } from '../../conformance/request-reply.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'
import { writeBombs } from './write-bombs.ts'

const MiB = 1024 * 1024
const bytes = 12 * MiB
const booked = event('booking.created', { body: z.object({ id: z.string() }) })
const brokers = useKafka()
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

describe('an application\'s own consumer beside kafka-ipc', () => {
  const policy = definePolicy({ prefix: uniqueName('appc'), partitions: 1, maxBufferedBytes: 8 * MiB })
  const appTopic = uniqueName('app-topic')
  const reported: unknown[] = []
  let app: Service
  let admin: Admin
  let consumer: Consumer<undefined, Buffer, undefined, undefined>
  let stream: MessagesStream<undefined, Buffer, undefined, undefined> | undefined

  before(async () => {
    app = new Service({ name: 'billing', policy, transport: kafkaTransport({ brokers: brokers(), logger: quiet }), ownsTransport: true, logger: quiet, onError: (error) => reported.push(error) })
    app.on(booked, () => undefined)
    await app.listen()
    admin = new Admin({ clientId: 'app-admin', bootstrapBrokers: brokers() })
    await admin.createTopics({ topics: [appTopic], partitions: 1, replicas: 1 })
    consumer = new Consumer({
      clientId: 'app-consumer',
      groupId: uniqueName('app-group'),
      bootstrapBrokers: brokers(),
      maxWaitTime: 200,
      deserializers: { key: () => undefined, value: (value?: Buffer) => value ?? Buffer.alloc(0), headerKey: () => undefined, headerValue: () => undefined },
    })
  })

  after(async () => {
    await stream?.close()
    await consumer.close(true)
    await admin.deleteTopics({ topics: [appTopic] }).catch(() => undefined)
    await admin.close()
    await app.close()
  })

  it('reads a batch past kafka-ipc\'s limit whole, while the service in the same process skips its copy unread', async () => {
    const envelope = buildMessage({ topic: topicNames.event(policy, booked.name) }, 'event', { service: 'writer' }, { id: 'big' }, policy.codec, policy.maxMessageBytes)
    await writeBombs(brokers(), [
      { topic: appTopic, partition: 0, compression: 'zstd', bytes, records: 1, headers: {} },
      { topic: topicNames.event(policy, booked.name), partition: 0, compression: 'zstd', bytes, records: 1, headers: Object.fromEntries(envelope.headers) },
    ])
    const values: Buffer[] = []
    stream = await consumer.consume({ topics: [appTopic], mode: 'earliest', autocommit: true })
    stream.on('data', (message) => values.push(message.value))
    await waitUntil(() => values.length > 0, 'the application\'s consumer reads the record')
    const [first = Buffer.alloc(0)] = values
    assert.equal(first.length, bytes, 'the application\'s consumer got the whole 12 MiB value')
    assert.ok(first.every((byte) => byte === 0))
    await waitUntil(() => reported.some((error) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE')), 'the service reports its copy as too large')
  })
})
