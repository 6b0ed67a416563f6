import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import type { SASLOptions } from '@platformatic/kafka'
import type { Logger } from '../../core/logger.ts'
import type { Transport } from '../../core/transport.ts'
import type { KafkaTuning } from './kafka-tuning.ts'

export type { KafkaTuning } from './kafka-tuning.ts'


/** What the subscription and inbox helpers share with the transport. */
export interface KafkaConnection {
  /** Options every client shares. Short, frequent retries: a topic just created reaches every broker's metadata within moments. */
  readonly base: { readonly clientId: string; readonly bootstrapBrokers: string[]; readonly retries: number; readonly retryDelay: number; readonly sasl?: SASLOptions; readonly tls?: TlsConnectionOptions }
  readonly tuning: KafkaTuning
  readonly transport: Transport
  readonly inboxReplication: number
  /** The SASL principal (`User:pricing`) errors name when an ACL refuses it. */
  readonly principal?: string | undefined
  /** Where the transport's own lines go (the service's `connection` concern). */
  readonly logger: Logger
}
