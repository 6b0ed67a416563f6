// The conformance suite on the in-memory transport.
import { MemoryBroker } from '../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../src/transports/memory/memory-transport.ts'
import { runConformance } from './suite.ts'

const broker = new MemoryBroker()
runConformance(() => ({ name: 'memory', transport: () => memoryTransport(broker) }))
