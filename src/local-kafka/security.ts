import { writeFileSync } from 'node:fs'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { createBrokerCertificate, createCertificateAuthority } from './certificates.ts'
import { flagSafeToken } from './flag-safe-token.ts'
import type { ClusterLayout, NodeLayout } from './cluster-layout.ts'
import type { JavaRuntime } from './toolchain.ts'
import { unsecuredToken } from './unsecured-token.ts'

/**
 * The SASL mechanisms a local cluster can require: SCRAM, or OAUTHBEARER with Kafka's unsecured
 * validator — unsigned tokens, whose `sub` claim is the principal (for testing a client's token
 * login; anyone can make a token for anyone).
 */
export type LocalKafkaSaslMechanism = 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'OAUTHBEARER'

/** How long the tokens {@link clientSecurity} and {@link clientEnvironment} make for an OAUTHBEARER cluster last. */
const tokenLifetimeSeconds = 24 * 3_600

/**
 * A secured client listener for a local cluster (docs/security.md). Given at all, it means
 * SASL/SCRAM-SHA-512 over TLS with a CA and broker certificate made for the cluster.
 *
 * @example
 * ```ts
 * await LocalKafka.start({ security: { users: { pricing: 'pricing-secret', booking: 'booking-secret' }, acls: true } })
 * await LocalKafka.start({ security: { sasl: false } })  // TLS only
 * await LocalKafka.start({ security: { tls: false } })   // SASL_PLAINTEXT
 * ```
 */
export interface LocalKafkaSecurityOptions {
  /** SASL mechanism clients log in with; `false` for TLS without SASL. Default SCRAM-SHA-512. */
  readonly sasl?: LocalKafkaSaslMechanism | false
  /** TLS on the client listener. Default true. */
  readonly tls?: boolean
  /** SCRAM users made when storage is formatted, name → password; `admin`, a super user, is always added with a random password. Not with OAUTHBEARER, where a token names any principal. */
  readonly users?: Readonly<Record<string, string>>
  /**
   * Kafka's StandardAuthorizer with `allow.everyone.if.no.acl.found=false`: only `admin` may do
   * anything until ACLs allow it (`createAcls()`). Needs SASL. Default false: every user may do everything.
   */
  readonly acls?: boolean
}

/** What a secured cluster keeps in `<data>/security/security.json`, so a restart or `attach()` knows it. */
export interface ClusterSecurity {
  readonly protocol: 'SASL_SSL' | 'SASL_PLAINTEXT' | 'SSL'
  readonly mechanism?: LocalKafkaSaslMechanism
  /** The broker's own SCRAM user, a super user; inter-broker and controller traffic log in with it. */
  readonly admin?: { readonly username: string; readonly password: string }
  /** A file holding only the admin password, for KAFKA_SASL_PASSWORD_FILE. */
  readonly adminPasswordFile?: string
  readonly users: Readonly<Record<string, string>>
  readonly acls: boolean
  readonly tls?: { readonly caFile: string; readonly ca: string; readonly keystoreFile: string; readonly storePassword: string }
}

/**
 * How a secured cluster is reached: what `security` reports. Passwords are in it — it is a
 * throwaway test cluster; do not log it.
 *
 * @example
 * ```ts
 * const kafka = await LocalKafka.start({ security: { users: { pricing: 'pricing-secret' } } })
 * kafka.security?.protocol // 'SASL_SSL'
 * kafka.security?.caFile   // '/tmp/kafka-ipc-…/security/ca.pem'
 * ```
 */
export interface LocalKafkaSecurity {
  /** The client listener's protocol, at {@link LocalKafka.bootstrap}. */
  readonly protocol: 'SASL_SSL' | 'SASL_PLAINTEXT' | 'SSL'
  readonly mechanism: LocalKafkaSaslMechanism | undefined
  /** The super user the broker itself logs in as. */
  readonly admin: { readonly username: string; readonly password: string } | undefined
  /** The admin password alone in a file, for KAFKA_SASL_PASSWORD_FILE. */
  readonly adminPasswordFile: string | undefined
  /** The users made at format time, name → password. */
  readonly users: Readonly<Record<string, string>>
  /** Whether the StandardAuthorizer denies what no ACL allows. */
  readonly acls: boolean
  /** The CA that signed the broker certificate, as a PEM file and as text. */
  readonly caFile: string | undefined
  readonly ca: string | undefined
}

/**
 * What a Kafka client needs to reach this cluster as one user — the shape `kafkaTransport()` takes.
 *
 * @example
 * ```ts
 * const transport = kafkaTransport(kafka.connection('pricing'))
 * // { brokers: ['127.0.0.1:40001'], sasl: { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: '…' }, tls: { ca: '-----BEGIN CERTIFICATE-----…' } }
 * ```
 */
export interface LocalKafkaConnection {
  readonly brokers: string[]
  /** A SCRAM login, or on an OAUTHBEARER cluster a function making a fresh unsigned token for the user at each connection. */
  readonly sasl?: { readonly mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256'; readonly username: string; readonly password: string } | { readonly mechanism: 'OAUTHBEARER'; readonly token: () => string }
  readonly tls?: { readonly ca: string }
}

const adminUser = 'admin'
const userName = /^[\w.-]{1,64}$/
// Kept to characters that need no quoting in `--add-scram` or a JAAS line.
const password = /^[\w.~!@#%^&*()+-]{1,128}$/

/** The folder a cluster's keys, certificates and credentials live in. */
export function securityDir(dataDir: string): string {
  return join(dataDir, 'security')
}

/** The security saved by an earlier start of `dataDir`, if it was secured. */
export async function readSecurity(dataDir: string): Promise<ClusterSecurity | undefined> {
  const text = await readFile(join(securityDir(dataDir), 'security.json'), 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as ClusterSecurity
  } catch {
    throw new KafkaIpcError('KIPC_LOCAL_KAFKA_CONFLICT', `${join(securityDir(dataDir), 'security.json')} is not valid JSON; delete the data folder or pick another.`)
  }
}

/**
 * The security a start uses: what `dataDir` was first started with (asking for another fails with
 * KIPC_LOCAL_KAFKA_CONFLICT), or — on a new folder — new credentials and, with TLS, a new CA and
 * broker certificate made with keytool.
 */
export async function resolveSecurity(dataDir: string, options: LocalKafkaSecurityOptions | undefined, fresh: boolean, java: JavaRuntime, host: string): Promise<ClusterSecurity | undefined> {
  const saved = await readSecurity(dataDir)
  if (options === undefined) return saved
  const wanted = checked(options)
  if (saved !== undefined) {
    const same = saved.protocol === wanted.protocol && saved.mechanism === wanted.mechanism && saved.acls === wanted.acls && JSON.stringify(sorted(saved.users)) === JSON.stringify(sorted(wanted.users))
    if (same) return saved
    throw new KafkaIpcError('KIPC_LOCAL_KAFKA_CONFLICT', `${dataDir} holds a cluster secured otherwise (${saved.protocol}, users ${Object.keys(saved.users).join(', ') || 'none'}, ACLs ${saved.acls ? 'on' : 'off'}); use another data folder or delete this one.`, { details: { dataDir } })
  }
  if (!fresh) throw new KafkaIpcError('KIPC_LOCAL_KAFKA_CONFLICT', `${dataDir} holds a cluster first started without security, whose storage has no SCRAM users; use another data folder or delete this one.`, { details: { dataDir } })
  const dir = securityDir(dataDir)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const admin = wanted.mechanism === undefined ? undefined : { username: adminUser, password: flagSafeToken(18) }
  let tls: ClusterSecurity['tls']
  if (wanted.protocol !== 'SASL_PLAINTEXT') {
    const ca = await createCertificateAuthority(dir, java)
    const broker = await createBrokerCertificate(dir, java, ca, [host, 'localhost'])
    tls = { caFile: ca.certFile, ca: await readFile(ca.certFile, 'utf8'), keystoreFile: broker.keystoreFile, storePassword: broker.storePassword }
    // Its store password is not kept: the CA's key has signed all it ever will.
    await rm(ca.keystoreFile, { force: true })
  }
  const adminPasswordFile = join(dir, 'admin.password')
  if (admin !== undefined) await writeFile(adminPasswordFile, `${admin.password}\n`, { mode: 0o600 })
  const security: ClusterSecurity = { ...wanted, ...(admin === undefined ? {} : { admin, adminPasswordFile }), ...(tls === undefined ? {} : { tls }) }
  const file = join(dir, 'security.json')
  await writeFile(file, JSON.stringify(security, null, 2) + '\n', { mode: 0o600 })
  await chmod(file, 0o600)
  return security
}

function checked(options: LocalKafkaSecurityOptions): Pick<ClusterSecurity, 'protocol' | 'mechanism' | 'users' | 'acls'> {
  const invalid = (message: string): never => {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `security: ${message}`)
  }
  const mechanism = options.sasl ?? 'SCRAM-SHA-512'
  // Checked at run time too: JavaScript callers and JSON configs get no type check.
  if (!([false, 'SCRAM-SHA-512', 'SCRAM-SHA-256', 'OAUTHBEARER'] as unknown[]).includes(mechanism)) invalid(`sasl must be SCRAM-SHA-512, SCRAM-SHA-256, OAUTHBEARER or false, got ${JSON.stringify(mechanism)}.`)
  const tls = options.tls ?? true
  if (mechanism === false && !tls) invalid('with neither SASL nor TLS there is nothing to secure; leave security out for a plaintext cluster.')
  if (mechanism === false && options.acls === true) invalid('ACLs need SASL users to tell principals apart.')
  const users = options.users ?? {}
  if (mechanism === false && Object.keys(users).length > 0) invalid('users need SASL.')
  if (mechanism === 'OAUTHBEARER' && Object.keys(users).length > 0) invalid('OAUTHBEARER has no users to make: a token names its principal (connection(user) makes one for any name).')
  for (const [name, secret] of Object.entries(users)) {
    if (name === adminUser) invalid(`the user name ${adminUser} is the broker's own; pick another.`)
    if (!userName.test(name)) invalid(`user name ${JSON.stringify(name)} must be 1–64 letters, digits, '.', '_' or '-'.`)
    if (typeof secret !== 'string' || !password.test(secret)) invalid(`the password of ${name} must be 1–128 letters, digits or ._~!@#%^&*()+- (no quotes, spaces, commas or '=').`)
  }
  return { protocol: mechanism === false ? 'SSL' : tls ? 'SASL_SSL' : 'SASL_PLAINTEXT', ...(mechanism === false ? {} : { mechanism }), users: { ...users }, acls: options.acls ?? false }
}

function sorted(users: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(users).sort(([a], [b]) => a.localeCompare(b))
}

/**
 * server.properties settings of a secured node: the client listener speaks the secured protocol
 * and carries inter-broker traffic (logged in as admin); the internal controller listener uses
 * SASL PLAIN as admin when SASL is on, so no anonymous principal is ever a super user.
 */
export function brokerSecuritySettings(security: ClusterSecurity, layout: ClusterLayout, node: NodeLayout): Record<string, string> {
  const { protocol, mechanism, admin, tls } = security
  const controllerProtocol = admin === undefined ? 'PLAINTEXT' : 'SASL_PLAINTEXT'
  const settings: Record<string, string> = {
    listeners: `${protocol}://${layout.host}:${node.brokerPort},CONTROLLER://${layout.host}:${node.controllerPort}`,
    'advertised.listeners': `${protocol}://${layout.host}:${node.brokerPort}`,
    'inter.broker.listener.name': protocol,
    'listener.security.protocol.map': `${protocol}:${protocol},CONTROLLER:${controllerProtocol}`,
  }
  if (mechanism !== undefined && admin !== undefined) {
    const scramModule = 'org.apache.kafka.common.security.scram.ScramLoginModule'
    const plainModule = 'org.apache.kafka.common.security.plain.PlainLoginModule'
    // OAUTHBEARER with no identity provider configured validates unsigned tokens (Kafka's
    // unsecured validator), and the broker makes its own as admin to talk to the other brokers.
    const oauthModule = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
    const login = mechanism === 'OAUTHBEARER' ? `${oauthModule} required unsecuredLoginStringClaim_sub="${admin.username}";` : `${scramModule} required username="${admin.username}" password="${admin.password}";`
    Object.assign(settings, {
      'sasl.enabled.mechanisms': mechanism,
      'sasl.mechanism.inter.broker.protocol': mechanism,
      [`listener.name.${protocol.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`]: login,
      'sasl.mechanism.controller.protocol': 'PLAIN',
      'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.controller.plain.sasl.jaas.config': `${plainModule} required username="${admin.username}" password="${admin.password}" user_${admin.username}="${admin.password}";`,
    })
  }
  if (tls !== undefined) {
    Object.assign(settings, {
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': tls.keystoreFile,
      'ssl.keystore.password': tls.storePassword,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': tls.caFile,
    })
  }
  if (security.acls && admin !== undefined) {
    Object.assign(settings, {
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': `User:${admin.username}`,
      'allow.everyone.if.no.acl.found': 'false',
    })
  }
  return settings
}

/** `kafka-storage format` arguments that create the SCRAM users in the new cluster's metadata. */
export function scramFormatArguments(security: ClusterSecurity | undefined): string[] {
  if (security?.mechanism === undefined || security.mechanism === 'OAUTHBEARER' || security.admin === undefined) return []
  const users = { [security.admin.username]: security.admin.password, ...security.users }
  return Object.entries(users).flatMap(([name, secret]) => ['--add-scram', `${security.mechanism ?? ''}=[name=${name},password=${secret}]`])
}

/** The connection settings a Kafka client needs for `username` (default admin): SASL login and the CA to trust. */
export function clientSecurity(security: ClusterSecurity | undefined, username?: string): Omit<LocalKafkaConnection, 'brokers'> {
  if (security === undefined) {
    if (username !== undefined) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `This local cluster is not secured, so it has no user ${username}.`)
    return {}
  }
  const tls = security.tls === undefined ? {} : { tls: { ca: security.tls.ca } }
  if (security.mechanism === undefined || security.admin === undefined) return tls
  const name = username ?? security.admin.username
  if (security.mechanism === 'OAUTHBEARER') {
    if (!userName.test(name)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `The principal name ${JSON.stringify(name)} must be 1–64 letters, digits, '.', '_' or '-'.`)
    return { ...tls, sasl: { mechanism: 'OAUTHBEARER', token: () => unsecuredToken(name, tokenLifetimeSeconds) } }
  }
  const secret = name === security.admin.username ? security.admin.password : security.users[name]
  if (secret === undefined) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `This local cluster has no user ${name}; its users are ${[security.admin.username, ...Object.keys(security.users)].join(', ')}.`)
  return { ...tls, sasl: { mechanism: security.mechanism, username: name, password: secret } }
}

/**
 * Environment variables that point kafka-ipc (or `kafka-ipc` commands) at this cluster as
 * `username` (default admin): KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TLS, KAFKA_TLS_CA_FILE. The
 * admin's password is passed as a file (KAFKA_SASL_PASSWORD_FILE), a user's as KAFKA_SASL_PASSWORD;
 * on an OAUTHBEARER cluster, a token for the user valid for a day, written to a file beside the
 * admin password (KAFKA_SASL_OAUTHBEARER_TOKEN_FILE).
 */
export function clientEnvironment(security: ClusterSecurity | undefined, bootstrap: string, username?: string): Record<string, string> {
  const { sasl } = clientSecurity(security, username)
  const env: Record<string, string> = { KAFKA_BROKERS: bootstrap }
  if (security?.tls !== undefined) Object.assign(env, { KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: security.tls.caFile })
  if (sasl?.mechanism === 'OAUTHBEARER') {
    const tokenFile = join(dirname(security?.adminPasswordFile ?? ''), `${username ?? security?.admin?.username ?? 'admin'}.token`)
    writeFileSync(tokenFile, `${sasl.token()}\n`, { mode: 0o600 })
    Object.assign(env, { KAFKA_SASL_MECHANISM: 'OAUTHBEARER', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenFile })
  } else if (sasl !== undefined) {
    Object.assign(env, { KAFKA_SASL_MECHANISM: sasl.mechanism, KAFKA_SASL_USERNAME: sasl.username })
    if (sasl.username === security?.admin?.username && security.adminPasswordFile !== undefined) env['KAFKA_SASL_PASSWORD_FILE'] = security.adminPasswordFile
    else env['KAFKA_SASL_PASSWORD'] = sasl.password
  }
  return env
}

/** What `LocalKafka.security` shows of the saved security. */
export function publicSecurity(security: ClusterSecurity | undefined): LocalKafkaSecurity | undefined {
  if (security === undefined) return undefined
  return {
    protocol: security.protocol,
    mechanism: security.mechanism,
    admin: security.admin,
    adminPasswordFile: security.admin === undefined ? undefined : security.adminPasswordFile,
    users: security.users,
    acls: security.acls,
    caFile: security.tls?.caFile,
    ca: security.tls?.ca,
  }
}
