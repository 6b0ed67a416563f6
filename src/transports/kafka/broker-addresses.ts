import type { Environment } from '../../core/environment.ts'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'

/** Where the broker list came from, so an error can name what to fix. */
export interface BrokerAddresses {
  readonly brokers: string[]
  /** `KAFKA_BROKERS`, `the brokers option`, or the default when neither was set. */
  readonly source: string
}

const hostPort = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/

/**
 * The bootstrap addresses from the option, else $KAFKA_BROKERS, else 127.0.0.1:9092 — each checked
 * to be `host:port` at once, so `http://kafka:9092`, `kafka` or `kafka:90920` fails now, naming the
 * setting, instead of as a connection timeout later.
 *
 * @example
 * ```ts
 * brokerAddresses(undefined, { KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092' }).brokers // ['kafka-1:9092', 'kafka-2:9092']
 * brokerAddresses('http://kafka:9092', {}) // throws KIPC_INVALID_ARGUMENT
 * ```
 */
export function brokerAddresses(option: readonly string[] | string | undefined, env: Environment): BrokerAddresses {
  const fromEnv = env['KAFKA_BROKERS']
  const source = option !== undefined ? 'the brokers option' : fromEnv !== undefined && fromEnv.trim() !== '' ? 'KAFKA_BROKERS' : 'the default (KAFKA_BROKERS is not set)'
  const raw = option ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : '127.0.0.1:9092')
  const brokers = (typeof raw === 'string' ? raw.split(',') : raw).map((broker) => broker.trim()).filter((broker) => broker !== '')
  if (brokers.length === 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${source} names no broker; give host:port[,host:port…], e.g. 127.0.0.1:9092.`)
  for (const broker of brokers) {
    const port = Number(hostPort.exec(broker)?.[1] ?? Number.NaN)
    if (!(port >= 1 && port <= 65_535)) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${source} has ${JSON.stringify(broker)}, which is not host:port (no scheme, a port from 1 to 65535), e.g. 127.0.0.1:9092.`)
    }
  }
  return { brokers, source }
}
