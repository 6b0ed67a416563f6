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
  readonly sessionTimeout: number
  readonly heartbeatInterval: number
  readonly inboxMaxBytes: number
  /** Offsets of handled records are committed together at most this often (ms); shutdown commits at once. */
  readonly commitIntervalMs: number
}
