// The conformance suite on the oldest Kafka kafka-ipc supports (README: "an existing Kafka
// 3.5–4.2"), started here rather than shared: 3.5 differs from 4.x in its group protocol
// defaults, its logging and the API versions it offers, and the claim is only true if every
// guarantee holds there too.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, it } from 'node:test'
import { LocalKafka } from '../../src/local-kafka/index.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { runConformance } from './suite.ts'

/** The oldest release the client library supports, at its last patch. */
export const oldestKafkaVersion = '3.5.2'

let kafka: LocalKafka | undefined
before(async () => {
  kafka = await LocalKafka.start({ kafkaVersion: oldestKafkaVersion })
})
after(async () => {
  await kafka?.stop()
})

it(`runs on a Kafka ${oldestKafkaVersion} broker, as its own log says`, async () => {
  assert.ok(kafka)
  assert.equal(kafka.kafkaVersion, oldestKafkaVersion)
  // The broker's own word, not the layout kafka-ipc saved: the JVM logs its release on start.
  const [node] = await kafka.status()
  assert.ok(node)
  assert.match(await readFile(node.logFile, 'utf8'), new RegExp(`Kafka version: ${oldestKafkaVersion.replaceAll('.', '\\.')} `))
})

runConformance(() => ({
  name: `kafka ${oldestKafkaVersion}`,
  transport: () => {
    if (kafka === undefined) throw new Error('Kafka 3.5 is not running yet')
    return kafkaTransport({ brokers: kafka.brokers })
  },
}))
