import type { LocalKafkaSecurityOptions } from './security.ts'

/**
 * How to start a local cluster. Every field is optional.
 *
 * @example
 * ```ts
 * const kafka = await LocalKafka.start({ nodes: 3, port: 39092, brokerConfig: { 'group.min.session.timeout.ms': 1_000 } })
 * ```
 */
export interface LocalKafkaOptions {
  /** Number of nodes (each a broker and a KRaft controller). Default 1; 3 gives RF 3, min ISR 2. */
  readonly nodes?: number
  /** Port of the first broker; node i listens on port + i − 1. Default: free ports. */
  readonly port?: number
  /** Folder for data, config and logs; reused across starts. Default: a temporary folder removed by stop(). */
  readonly dataDir?: string
  /** Apache Kafka release to run. Default: `defaultKafkaVersion`, exported beside LocalKafka. */
  readonly kafkaVersion?: string
  /** Maximum JVM heap per node in MiB. Default 512. */
  readonly heapMb?: number
  /** Keep the nodes running after this process exits (as `kafka-ipc kafka start` does). Default false. */
  readonly detached?: boolean
  /** How long to wait for readiness. Default 120 s. */
  readonly readyTimeoutMs?: number
  /** Folder for the broker jars. Default: see cacheDir(). */
  readonly cacheDir?: string
  /** Progress lines (downloading, starting). Default: silent. */
  readonly log?: (line: string) => void
  /**
   * A secured client listener — SASL/SCRAM, TLS, ACLs — instead of plaintext (docs/security.md).
   * Fixed at the first start of a data folder; later starts of it may leave this out.
   */
  readonly security?: LocalKafkaSecurityOptions
  /**
   * Broker settings over LocalKafka's defaults, for every node this instance starts — to try what a
   * production broker is configured with: `{ 'group.min.session.timeout.ms': 1_000 }`. The
   * settings that define the cluster (nodes, listeners, folders) cannot be overridden.
   */
  readonly brokerConfig?: Readonly<Record<string, string | number | boolean>>
}

/**
 * One node as `status()` reports it.
 *
 * @example
 * ```ts
 * for (const node of await kafka.status()) console.log(node.id, node.address, node.running ? 'up' : 'down')
 * ```
 */
export interface LocalKafkaNodeStatus {
  readonly id: number
  readonly address: string
  readonly pid: number | undefined
  readonly running: boolean
  readonly residentBytes: number | undefined
  readonly logFile: string
}
