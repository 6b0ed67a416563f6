// One Kafka broker for the whole `npm test` run (node --test --test-global-setup). Test files run
// in child processes that inherit KAFKA_BROKERS. An address given from outside is used as is.
import { LocalKafka } from '../src/local-kafka/index.ts'

let kafka: LocalKafka | undefined

export async function globalSetup(): Promise<void> {
  if (process.env['KAFKA_BROKERS'] !== undefined && process.env['KAFKA_BROKERS'] !== '') return
  kafka = await LocalKafka.start({ log: (line) => process.stderr.write(`[local-kafka] ${line}\n`) })
  process.env['KAFKA_BROKERS'] = kafka.bootstrap
  process.stderr.write(`[local-kafka] shared broker ready at ${kafka.bootstrap} in ${kafka.readyInMs} ms\n`)
}

export async function globalTeardown(): Promise<void> {
  await kafka?.stop()
}
