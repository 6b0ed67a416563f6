import { flagSafeToken } from './flag-safe-token.ts'

/** One node of a local KRaft cluster: a broker and a controller in one JVM. */
export interface NodeLayout {
  readonly id: number
  readonly brokerPort: number
  readonly controllerPort: number
}

/**
 * The fixed shape of a local cluster, saved in its data folder so a restart reuses the same
 * ports and cluster id (KRaft voters are addressed by them).
 */
export interface ClusterLayout {
  readonly clusterId: string
  readonly kafkaVersion: string
  readonly host: string
  readonly nodes: readonly NodeLayout[]
}

/** The bootstrap address clients use: every broker listener, comma separated. */
export function bootstrapOf(layout: ClusterLayout): string {
  return layout.nodes.map((node) => `${layout.host}:${node.brokerPort}`).join(',')
}

/**
 * A new KRaft cluster id: 16 random bytes in base64url (22 characters), never starting with '-'
 * (Kafka refuses ids that read like a command-line flag).
 *
 * @example
 * ```ts
 * newClusterId() // 'MkU3OEVBNTcwNTJENDM2Qk'
 * ```
 */
export function newClusterId(): string {
  return flagSafeToken(16)
}

/** Checks a layout read back from disk, so a hand-edited file fails clearly. */
export function isClusterLayout(value: unknown): value is ClusterLayout {
  if (typeof value !== 'object' || value === null) return false
  const layout = value as Record<string, unknown>
  return (
    typeof layout['clusterId'] === 'string' &&
    typeof layout['kafkaVersion'] === 'string' &&
    typeof layout['host'] === 'string' &&
    Array.isArray(layout['nodes']) &&
    layout['nodes'].every(
      (node: unknown) =>
        typeof node === 'object' &&
        node !== null &&
        Number.isInteger((node as Record<string, unknown>)['id']) &&
        Number.isInteger((node as Record<string, unknown>)['brokerPort']) &&
        Number.isInteger((node as Record<string, unknown>)['controllerPort']),
    )
  )
}
