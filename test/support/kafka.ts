// Where integration tests find Kafka: KAFKA_BROKERS (set by test/global-setup.ts or by the user),
// or, when a file is run on its own, a broker this file starts and stops itself.
import { randomUUID } from 'node:crypto'
import { after, before } from 'node:test'
import { LocalKafka } from '../../src/local-kafka/index.ts'

/**
 * Returns a getter for the broker list, valid inside tests. Call once at the top of a test file.
 */
export function useKafka(): () => string[] {
  let brokers: string[] | undefined
  let own: LocalKafka | undefined
  before(async () => {
    const fromEnv = process.env['KAFKA_BROKERS']
    if (fromEnv !== undefined && fromEnv !== '') {
      brokers = fromEnv.split(',')
      return
    }
    own = await LocalKafka.start()
    brokers = own.brokers
  })
  after(async () => {
    await own?.stop()
  })
  return () => {
    if (brokers === undefined) throw new Error('Kafka is not ready yet: use the getter inside a test or hook')
    return brokers
  }
}

/** A topic or group name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}
