import { Buffer } from 'node:buffer'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import type { SASLOptions } from '@platformatic/kafka'
import type { Environment } from '../../core/environment.ts'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import type { KafkaSaslMechanism, KafkaSaslOptions, KafkaSecurityOptions, KafkaTlsOptions, Pem } from './kafka-security-options.ts'
import { tokenFileVariable, tokenLogin } from './oauth-bearer-login.ts'
import { readText, rereadSecret } from './secret-files.ts'

/** What every Kafka client of a transport is given, and how to name it in logs and errors without a secret. */
export interface ResolvedSecurity {
  readonly sasl?: SASLOptions
  readonly tls?: TlsConnectionOptions
  /** For example `TLS, SASL SCRAM-SHA-512 as alice (from KAFKA_SASL_*)` or `plaintext`: never a password, a token or a key. */
  readonly description: string
  /** The SASL user, for messages; none for a token login, whose principal the broker reads from the token. */
  readonly username?: string
}

const mechanisms: readonly KafkaSaslMechanism[] = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN', 'OAUTHBEARER']

/**
 * The SASL and TLS settings of a transport: the options where given, else the environment —
 * `KAFKA_SASL_MECHANISM` (default SCRAM-SHA-512), `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD` or
 * `KAFKA_SASL_PASSWORD_FILE` (read again at each new connection, so a rotated secret is picked up),
 * or `KAFKA_SASL_OAUTHBEARER_TOKEN_FILE` for OAUTHBEARER (read again likewise),
 * `KAFKA_TLS`, `KAFKA_TLS_CA_FILE`, `KAFKA_TLS_CERT_FILE`, `KAFKA_TLS_KEY_FILE`,
 * `KAFKA_TLS_SERVERNAME`. A malformed setting fails here with KIPC_INVALID_ARGUMENT naming the
 * variable or option, never the secret in it.
 *
 * @example
 * ```ts
 * const security = kafkaSecurity({}, { KAFKA_SASL_USERNAME: 'pricing', KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka', KAFKA_TLS: 'true' })
 * security.description // 'TLS, SASL SCRAM-SHA-512 as pricing (from KAFKA_SASL_*)'
 * ```
 */
export function kafkaSecurity(options: KafkaSecurityOptions, env: Environment): ResolvedSecurity {
  const sasl = options.sasl === undefined ? saslFromEnv(env) : options.sasl === false ? undefined : { ...saslFromOption(options.sasl), source: 'the sasl option' }
  const tls = options.tls === undefined ? tlsFromEnv(env) : tlsFromOption(options.tls)
  const parts = [...(tls === undefined ? [] : ['TLS']), ...(sasl === undefined ? [] : [`SASL ${sasl.options.mechanism}${sasl.username === undefined ? '' : ` as ${sasl.username}`} (from ${sasl.source})`])]
  return {
    ...(sasl === undefined ? {} : { sasl: sasl.options }),
    ...(sasl?.username === undefined ? {} : { username: sasl.username }),
    ...(tls === undefined ? {} : { tls }),
    description: parts.length === 0 ? 'plaintext' : parts.join(', '),
  }
}

interface SaslSetting {
  readonly options: SASLOptions
  readonly username?: string
  readonly source: string
}

function saslFromOption(sasl: KafkaSaslOptions): SaslSetting {
  const where = 'the sasl option'
  const mechanism = parseMechanism(sasl.mechanism, `${where}'s mechanism`)
  if (sasl.mechanism === 'OAUTHBEARER') return { options: tokenLogin(sasl, where), source: where }
  if (typeof sasl.username !== 'string' || sasl.username === '') invalid(`${where} needs a username.`)
  if (typeof sasl.password === 'function') return { options: { mechanism, username: sasl.username, password: sasl.password }, username: sasl.username, source: where }
  if (typeof sasl.password !== 'string' || sasl.password === '') invalid(`${where} needs a non-empty password (a string, or a function returning one).`)
  return { options: { mechanism, username: sasl.username, password: sasl.password }, username: sasl.username, source: where }
}

function saslFromEnv(env: Environment): SaslSetting | undefined {
  const mechanismText = setting(env, 'KAFKA_SASL_MECHANISM')
  const username = setting(env, 'KAFKA_SASL_USERNAME')
  const password = env['KAFKA_SASL_PASSWORD']
  const passwordFile = setting(env, 'KAFKA_SASL_PASSWORD_FILE')
  const tokenFile = setting(env, tokenFileVariable)
  const anyPassword = (password !== undefined && password !== '') || passwordFile !== undefined
  if (mechanismText === undefined && username === undefined && !anyPassword && tokenFile === undefined) return undefined
  if (tokenFile !== undefined || mechanismText?.toUpperCase() === 'OAUTHBEARER') return tokenFromEnv(mechanismText, tokenFile, username !== undefined || anyPassword)
  if (username === undefined) invalid('KAFKA_SASL_USERNAME is not set, but other KAFKA_SASL_* variables are: set the user name too, or unset them all.')
  if (password !== undefined && password !== '' && passwordFile !== undefined) invalid('Both KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are set; set only one.')
  if (!anyPassword) invalid('KAFKA_SASL_USERNAME is set but neither KAFKA_SASL_PASSWORD nor KAFKA_SASL_PASSWORD_FILE is.')
  const mechanism = mechanismText === undefined ? 'SCRAM-SHA-512' : parseMechanism(mechanismText.toUpperCase(), 'KAFKA_SASL_MECHANISM')
  const source = 'KAFKA_SASL_*'
  if (passwordFile === undefined) return { options: { mechanism, username, password: password ?? '' }, username, source }
  return { options: { mechanism, username, password: rereadSecret(passwordFile, 'KAFKA_SASL_PASSWORD_FILE') }, username, source }
}

/** An OAUTHBEARER login from the environment: the token file, and no user or password beside it. */
function tokenFromEnv(mechanismText: string | undefined, tokenFile: string | undefined, userOrPassword: boolean): SaslSetting {
  if (mechanismText !== undefined && mechanismText.toUpperCase() !== 'OAUTHBEARER') invalid(`${tokenFileVariable} is set, so KAFKA_SASL_MECHANISM must be OAUTHBEARER (or unset), got ${JSON.stringify(mechanismText)}.`)
  if (tokenFile === undefined) return invalid(`KAFKA_SASL_MECHANISM is OAUTHBEARER but ${tokenFileVariable} is not set: name the file that holds the token.`)
  if (userOrPassword) invalid(`OAUTHBEARER logs in with a token (${tokenFileVariable}); unset KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE.`)
  return { options: tokenLogin({ mechanism: 'OAUTHBEARER', token: rereadSecret(tokenFile, tokenFileVariable) }, tokenFileVariable), source: 'KAFKA_SASL_*' }
}

function parseMechanism(value: unknown, where: string): KafkaSaslMechanism {
  const found = mechanisms.find((mechanism) => mechanism === value)
  if (found === undefined) invalid(`${where} must be one of ${mechanisms.join(', ')}, got ${JSON.stringify(value)}.`)
  return found
}

function tlsFromOption(tls: boolean | KafkaTlsOptions): TlsConnectionOptions | undefined {
  if (tls === false) return undefined
  if (tls === true) return {}
  if (typeof tls !== 'object') invalid(`the tls option must be true, false or an object, got ${JSON.stringify(tls)}.`)
  if ((tls.cert === undefined) !== (tls.key === undefined)) invalid('the tls option needs cert and key together (a client certificate and its private key).')
  const pem = (value: Pem): string | Buffer => (typeof value === 'string' ? value : Buffer.from(value))
  return {
    ...(tls.ca === undefined ? {} : { ca: Array.isArray(tls.ca) ? (tls.ca as readonly Pem[]).map(pem) : pem(tls.ca as Pem) }),
    ...(tls.cert === undefined ? {} : { cert: pem(tls.cert) }),
    ...(tls.key === undefined ? {} : { key: pem(tls.key) }),
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
  }
}

function tlsFromEnv(env: Environment): TlsConnectionOptions | undefined {
  const flag = setting(env, 'KAFKA_TLS')
  const files = { ca: setting(env, 'KAFKA_TLS_CA_FILE'), cert: setting(env, 'KAFKA_TLS_CERT_FILE'), key: setting(env, 'KAFKA_TLS_KEY_FILE') }
  const servername = setting(env, 'KAFKA_TLS_SERVERNAME')
  const named = Object.entries({ KAFKA_TLS_CA_FILE: files.ca, KAFKA_TLS_CERT_FILE: files.cert, KAFKA_TLS_KEY_FILE: files.key, KAFKA_TLS_SERVERNAME: servername }).filter(([, value]) => value !== undefined).map(([name]) => name)
  const on = flag === undefined ? undefined : parseFlag(flag)
  if (on === false) {
    if (named.length > 0) invalid(`KAFKA_TLS is ${JSON.stringify(flag)} but ${named.join(', ')} ${named.length === 1 ? 'is' : 'are'} set; set KAFKA_TLS=true or unset ${named.length === 1 ? 'it' : 'them'}.`)
    return undefined
  }
  if (on === undefined && named.length === 0) return undefined
  if ((files.cert === undefined) !== (files.key === undefined)) invalid('KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together (a client certificate and its private key); set both or neither.')
  return {
    ...(files.ca === undefined ? {} : { ca: readText(files.ca, 'KAFKA_TLS_CA_FILE') }),
    ...(files.cert === undefined ? {} : { cert: readText(files.cert, 'KAFKA_TLS_CERT_FILE') }),
    ...(files.key === undefined ? {} : { key: readText(files.key, 'KAFKA_TLS_KEY_FILE') }),
    ...(servername === undefined ? {} : { servername }),
  }
}

function parseFlag(value: string): boolean {
  const lower = value.toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(lower)) return true
  if (['false', '0', 'no', 'off'].includes(lower)) return false
  return invalid(`KAFKA_TLS must be true or false, got ${JSON.stringify(value)}.`)
}

/** A variable's value, trimmed; undefined when unset or blank. */
function setting(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function invalid(message: string): never {
  throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', message)
}
