// The conformance suite on a real Kafka broker (the shared one from test/global-setup.ts, or
// KAFKA_BROKERS, or one this file starts when run alone).
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { useKafka } from '../support/kafka.ts'
import { runConformance } from './suite.ts'

const brokers = useKafka()
runConformance(() => ({ name: 'kafka', transport: () => kafkaTransport({ brokers: brokers() }) }))
