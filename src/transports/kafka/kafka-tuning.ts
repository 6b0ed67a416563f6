/**
 * Timings of the Kafka clients underneath (kept apart from the connection, whose types are the
 * Kafka client's, so that the public types need none of them).
 *
 * @example
 * ```ts
 * kafkaTransport({ tuning: { maxWaitTime: 100 } satisfies Partial<KafkaTuning> })
 * ```
 */
export interface KafkaTuning {
  /** Longest a fetch waits for data when there is none (ms). Data is returned at once either way. */
  readonly maxWaitTime: number
  /**
   * How long a group member may go silent before the broker hands its partitions to the others
   * (ms): the takeover time after an instance crashes (docs/reliability.md#takeover-after-a-crash).
   * Classic protocol only; the broker bounds it (`group.min.session.timeout.ms`, 6 s by default).
   */
  readonly sessionTimeout: number
  /** How often a member tells the coordinator it is alive (ms); classic protocol only. */
  readonly heartbeatInterval: number
  /**
   * The consumer group protocol: `classic` (client-side assignment, the session timeout above) or
   * `consumer` (KIP-848, Kafka 4.0+: broker-side assignment, the session timeout and heartbeat set
   * by the broker's `group.consumer.*` settings).
   */
  readonly groupProtocol: 'classic' | 'consumer'
  readonly inboxMaxBytes: number
  /** Offsets of handled records are committed together at most this often (ms); shutdown commits at once. */
  readonly commitIntervalMs: number
}
