/**
 * `kafka-ipc/memory`: an in-process transport with Kafka's semantics, for unit tests.
 *
 * @example
 * ```ts
 * import { MemoryBroker, memoryTransport } from 'kafka-ipc/memory'
 * const transport = memoryTransport(new MemoryBroker())
 * ```
 */
import '../../assert-supported-node.ts'
export { MemoryBroker } from './memory-broker.ts'
export { memoryTransport } from './memory-transport.ts'
