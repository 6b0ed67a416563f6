// The security options of kafkaTransport(), apart from how they are resolved so that its public
// types need neither Node's nor the Kafka client's types.

/**
 * The SASL mechanisms kafka-ipc offers: SCRAM (the password never crosses the wire) or PLAIN (over TLS only, please).
 *
 * @example
 * ```ts
 * const mechanism: KafkaSaslMechanism = 'SCRAM-SHA-512'
 * ```
 */
export type KafkaSaslMechanism = 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN'

/**
 * SASL login for every connection to Kafka.
 *
 * @example
 * ```ts
 * kafkaTransport({ sasl: { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: () => readFile('/run/secrets/kafka', 'utf8') } })
 * ```
 */
export interface KafkaSaslOptions {
  readonly mechanism: KafkaSaslMechanism
  readonly username: string
  /** The password, or a function asked at each new connection (a rotated secret is picked up without a restart). */
  readonly password: string | (() => string | Promise<string>)
}

/**
 * PEM text (a string) or its bytes.
 *
 * @example
 * ```ts
 * const ca: Pem = readFileSync('/etc/kafka/ca.pem')
 * ```
 */
export type Pem = string | Uint8Array

/**
 * TLS towards the brokers. Every field is optional: `{}` (or `tls: true`) trusts the system's CAs.
 *
 * @example
 * ```ts
 * kafkaTransport({ tls: { ca: readFileSync('/etc/kafka/ca.pem', 'utf8') } })
 * ```
 */
export interface KafkaTlsOptions {
  /** CA certificates to trust instead of the system's, for a private CA. */
  readonly ca?: Pem | readonly Pem[]
  /** Client certificate chain, for brokers that ask for one (mutual TLS, `ssl.client.auth=required`). */
  readonly cert?: Pem
  /** Private key of `cert`. */
  readonly key?: Pem
  /** Passphrase of an encrypted `key`. */
  readonly passphrase?: string
  /** Host name the broker's certificate must name, when it differs from the address dialled. */
  readonly servername?: string
  /** False accepts any certificate: for a throwaway test only, never in production. Default true. */
  readonly rejectUnauthorized?: boolean
}

/**
 * The security options of `kafkaTransport()`: each group, when given, replaces the one from the
 * environment (docs/security.md).
 *
 * @example
 * ```ts
 * kafkaTransport({ sasl: { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: secret }, tls: true })
 * kafkaTransport({ sasl: false, tls: false }) // plaintext whatever KAFKA_SASL_* and KAFKA_TLS* say
 * ```
 */
export interface KafkaSecurityOptions {
  /** SASL login; `false` turns off one configured by KAFKA_SASL_* variables. Default: from the environment. */
  readonly sasl?: KafkaSaslOptions | false
  /** TLS: `true` with the system's CAs, or options; `false` turns off KAFKA_TLS*. Default: from the environment. */
  readonly tls?: boolean | KafkaTlsOptions
}
