/**
 * `kafka-ipc/local-kafka`: a real Apache Kafka on loopback from the Maven Central jars, for tests
 * and local development.
 *
 * @example
 * ```ts
 * import { LocalKafka } from 'kafka-ipc/local-kafka'
 * const kafka = await LocalKafka.start()
 * process.env.KAFKA_BROKERS = kafka.bootstrap
 * // … run tests …
 * await kafka.stop()
 * ```
 */
import '../assert-supported-node.ts'
export { LocalKafka, type LocalKafkaNodeStatus, type LocalKafkaOptions } from './local-kafka.ts'
export type { LocalKafkaConnection, LocalKafkaSaslMechanism, LocalKafkaSecurity, LocalKafkaSecurityOptions } from './security.ts'
export type { LocalKafkaAcl, LocalKafkaAclOperation } from './acl-rules.ts'
export { defaultKafkaVersion, ensureKafkaDistribution, type DistributionOptions, type KafkaDistribution } from './kafka-distribution.ts'
export { cacheDir } from './cache-dir.ts'
