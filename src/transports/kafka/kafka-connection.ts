import type { Transport } from '../../core/transport.ts'

/** Timings of the Kafka clients underneath. */
export interface KafkaTuning {
  /** Longest a fetch waits for data when there is none (ms). Data is returned at once either way. */
  readonly maxWaitTime: number
  readonly sessionTimeout: number
  readonly heartbeatInterval: number
  readonly inboxMaxBytes: number
  /** Offsets of handled records are committed together at most this often (ms); shutdown commits at once. */
  readonly commitIntervalMs: number
}

/** What the subscription and inbox helpers share with the transport. */
export interface KafkaConnection {
  /** Options every client shares. Short, frequent retries: a topic just created reaches every broker's metadata within moments. */
  readonly base: { readonly clientId: string; readonly bootstrapBrokers: string[]; readonly retries: number; readonly retryDelay: number }
  readonly tuning: KafkaTuning
  readonly transport: Transport
  readonly inboxReplication: number
}
