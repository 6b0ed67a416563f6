// The security options of kafkaTransport(), apart from how they are resolved so that its public
// types need neither Node's nor the Kafka client's types.

/**
 * The SASL mechanisms kafka-ipc offers: SCRAM (the password never crosses the wire), PLAIN (over
 * TLS only, please) and OAUTHBEARER (a bearer token from an identity provider — AWS MSK IAM, Azure
 * Event Hubs, Confluent Cloud OAuth, Strimzi with Keycloak).
 *
 * @example
 * ```ts
 * const mechanism: KafkaSaslMechanism = 'SCRAM-SHA-512'
 * ```
 */
export type KafkaSaslMechanism = KafkaSaslPasswordOptions['mechanism'] | KafkaSaslTokenOptions['mechanism']

/**
 * SASL login for every connection to Kafka: a user and password, or a bearer token.
 *
 * @example
 * ```ts
 * kafkaTransport({ sasl: { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: () => readFile('/run/secrets/kafka', 'utf8') } })
 * kafkaTransport({ sasl: { mechanism: 'OAUTHBEARER', token: () => tokens.forKafka() }, tls: true })
 * ```
 */
export type KafkaSaslOptions = KafkaSaslPasswordOptions | KafkaSaslTokenOptions

/**
 * A SASL login with a user name and password (SCRAM or PLAIN).
 *
 * @example
 * ```ts
 * const sasl: KafkaSaslPasswordOptions = { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: process.env.KAFKA_PASSWORD ?? '' }
 * ```
 */
export interface KafkaSaslPasswordOptions {
  readonly mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN'
  readonly username: string
  /** The password, or a function asked at each new connection (a rotated secret is picked up without a restart). */
  readonly password: string | (() => string | Promise<string>)
}

/**
 * A SASL/OAUTHBEARER login (RFC 7628): the broker validates a bearer token and takes the principal
 * from it. The token is asked for at each new connection and at each re-authentication the broker
 * asks for (`connections.max.reauth.ms`), so a function returning a fresh one keeps a service
 * logged in past any one token's expiry.
 *
 * @example
 * ```ts
 * import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js'
 *
 * const sasl: KafkaSaslTokenOptions = { mechanism: 'OAUTHBEARER', token: async () => (await generateAuthToken({ region: 'eu-west-1' })).token }
 * ```
 */
export interface KafkaSaslTokenOptions {
  readonly mechanism: 'OAUTHBEARER'
  /** The token, or a function asked for one at each new connection and re-authentication. */
  readonly token: string | (() => string | Promise<string>)
  /** SASL extensions some brokers ask for beside the token (Confluent Cloud: `logicalCluster`, `identityPoolId`). */
  readonly extensions?: Readonly<Record<string, string>>
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
