/**
 * kafka-ipc: HTTP-shaped service-to-service calls over Apache Kafka.
 *
 * @example
 * ```ts
 * import { KafkaIpcError, errorCatalogue } from 'kafka-ipc'
 * ```
 */
export { errorCatalogue, type ErrorCode, type ErrorSpec } from './core/error-catalogue.ts'
export { KafkaIpcError, isKafkaIpcError, type KafkaIpcErrorOptions } from './core/kafka-ipc-error.ts'
