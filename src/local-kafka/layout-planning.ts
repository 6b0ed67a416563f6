import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { readLayout } from './cluster-files.ts'
import { type ClusterLayout, newClusterId } from './cluster-layout.ts'
import { freePorts, isPortFree } from './ports.ts'

/** Reuses the layout saved in `dataDir` when it fits the request, otherwise makes a new one. */
export async function resolveLayout(dataDir: string, size: number, port: number | undefined, kafkaVersion: string): Promise<ClusterLayout> {
  const host = '127.0.0.1'
  const saved = await readLayout(dataDir)
  if (saved !== undefined) {
    if (saved.nodes.length !== size) {
      throw new KafkaIpcError(
        'KIPC_LOCAL_KAFKA_CONFLICT',
        `${dataDir} holds a ${saved.nodes.length}-node cluster but ${size} node(s) were asked for; use another data folder or delete this one.`,
        { details: { dataDir } },
      )
    }
    if (port === undefined || saved.nodes[0]?.brokerPort === port) return { ...saved, kafkaVersion }
    throw new KafkaIpcError(
      'KIPC_LOCAL_KAFKA_CONFLICT',
      `${dataDir} holds a cluster on port ${String(saved.nodes[0]?.brokerPort)} but port ${port} was asked for; omit the port, use another data folder, or delete this one.`,
      { details: { dataDir } },
    )
  }
  const free = await freePorts(host, port === undefined ? 2 * size : size)
  const nodes = Array.from({ length: size }, (_, index) => ({
    id: index + 1,
    brokerPort: port === undefined ? (free[index] ?? 0) : port + index,
    controllerPort: port === undefined ? (free[size + index] ?? 0) : (free[index] ?? 0),
  }))
  return { clusterId: newClusterId(), kafkaVersion, host, nodes }
}

/** Fails with KIPC_PORT_IN_USE, naming the port, when any listener of the layout is taken. */
export async function assertPortsFree(layout: ClusterLayout): Promise<void> {
  for (const node of layout.nodes) {
    for (const port of [node.brokerPort, node.controllerPort]) {
      if (!(await isPortFree(layout.host, port))) {
        throw new KafkaIpcError('KIPC_PORT_IN_USE', `Port ${port} on ${layout.host} is already in use; pick another port (--port) or stop what listens there.`, {
          details: { port },
        })
      }
    }
  }
}
