import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { errorTree } from './error-tree.ts'

/**
 * What a call site knows that the broker's answer may not say: a group's refusal names no group,
 * and a Fetch names topics by id only.
 */
export interface AccessHint {
  readonly group?: string
  readonly topics?: readonly string[]
  /** Who was refused, such as `User:pricing`: the transport's SASL user. */
  readonly principal?: string | undefined
}

/** Kafka's authorization errors and the resource kind each is about. */
const authorizationErrors = {
  TOPIC_AUTHORIZATION_FAILED: 'topic',
  GROUP_AUTHORIZATION_FAILED: 'group',
  CLUSTER_AUTHORIZATION_FAILED: 'cluster',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'transactional id',
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 'delegation token',
} as const

type AuthorizationError = keyof typeof authorizationErrors

const topicAuthorizationFailed = 29

const authenticationErrors = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE'])

/**
 * The ACL operation each request needs on the resource it was refused (Kafka's authorization
 * table, docs/security.md). The broker's answer says only "not authorized".
 */
const operationOfApi: Readonly<Record<string, { readonly topic?: string; readonly group?: string; readonly cluster?: string }>> = {
  Produce: { topic: 'WRITE' },
  Fetch: { topic: 'READ' },
  Metadata: { topic: 'DESCRIBE' },
  ListOffsets: { topic: 'DESCRIBE' },
  CreateTopics: { topic: 'CREATE', cluster: 'CREATE' },
  DeleteTopics: { topic: 'DELETE' },
  CreatePartitions: { topic: 'ALTER' },
  DescribeConfigs: { topic: 'DESCRIBE_CONFIGS' },
  OffsetCommit: { topic: 'READ', group: 'READ' },
  OffsetFetch: { topic: 'DESCRIBE', group: 'DESCRIBE' },
  FindCoordinator: { group: 'DESCRIBE' },
  JoinGroup: { group: 'READ' },
  SyncGroup: { group: 'READ' },
  Heartbeat: { group: 'READ' },
  LeaveGroup: { group: 'READ' },
  ConsumerGroupHeartbeat: { topic: 'DESCRIBE', group: 'READ' },
  DescribeGroups: { group: 'DESCRIBE' },
  ConsumerGroupDescribe: { group: 'DESCRIBE' },
  InitProducerId: { cluster: 'IDEMPOTENT_WRITE' },
}

/** Node's certificate checks and OpenSSL's handshake failures: none heals by trying again. */
const certificateCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
])

/** The kind of refusal in an error from the client library, if it is one: none of them is retried. */
export function accessFailureKind(error: unknown): 'authentication' | 'tls' | 'authorization' | undefined {
  for (const node of errorTree(error)) {
    if (node['code'] === 'PLT_KFK_AUTHENTICATION' || (typeof node['apiId'] === 'string' && authenticationErrors.has(node['apiId']))) return 'authentication'
    if (tlsReason(node) !== undefined) return 'tls'
    if (typeof node['apiId'] === 'string' && Object.hasOwn(authorizationErrors, node['apiId'])) return 'authorization'
  }
  return undefined
}

/**
 * A refusal turned into the error that says what to fix, or undefined for any other failure:
 * KIPC_AUTHENTICATION_FAILED (the SASL login was refused), KIPC_TLS_FAILED (the handshake failed:
 * an untrusted or mismatched certificate, or TLS on one side only) or KIPC_NOT_AUTHORIZED (an ACL
 * denies an operation; the resource and the operation are named). None is retryable.
 *
 * @example
 * ```ts
 * accessError(error, 'sending to kipc.pricing.requests')?.code // 'KIPC_NOT_AUTHORIZED'
 * ```
 */
export function accessError(error: unknown, what: string, hint: AccessHint = {}): KafkaIpcError | undefined {
  const kind = accessFailureKind(error)
  if (kind === 'authentication') return authenticationError(error, what)
  if (kind === 'tls') return tlsError(error, what)
  if (kind === 'authorization') return authorizationError(error, what, hint)
  return undefined
}

function authenticationError(error: unknown, what: string): KafkaIpcError {
  let said: string | undefined
  let offered: string[] | undefined
  let noSaslHere = false
  let closed = false
  let tokenStatus: string | undefined
  for (const node of errorTree(error)) {
    if (typeof node['tokenStatus'] === 'string') tokenStatus ??= node['tokenStatus']
    const response = node['response'] as { errorMessage?: unknown; mechanisms?: unknown } | undefined
    if (typeof response?.errorMessage === 'string' && response.errorMessage !== '') said ??= response.errorMessage
    if (Array.isArray(response?.mechanisms)) offered ??= response.mechanisms.filter((mechanism): mechanism is string => typeof mechanism === 'string')
    if (node['apiId'] === 'ILLEGAL_SASL_STATE') noSaslHere = true
    if (node['code'] === 'PLT_KFK_NETWORK' && node['message'] === 'Connection closed') closed = true
  }
  const { reason, fix } = tokenStatus === undefined ? loginFailure(said, offered, noSaslHere, closed) : { reason: `the broker refused the OAUTHBEARER token (${tokenStatus})`, fix: tokenFix }
  return new KafkaIpcError('KIPC_AUTHENTICATION_FAILED', `Kafka refused the SASL login while ${what}: ${reason}. ${fix}; this is not retried.`, {
    cause: error,
    details: { reason, ...(offered === undefined || offered.length === 0 ? {} : { mechanisms: offered }) },
  })
}

const tokenFix = 'Check the token (KAFKA_SASL_OAUTHBEARER_TOKEN_FILE or the sasl option\'s token): it may have expired, or lack the audience, scope or principal claim the broker requires'
const credentialsFix = 'Check the user, password and mechanism (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, KAFKA_SASL_MECHANISM, or the sasl option)'

/**
 * Why a SASL login failed and what fixes it. The broker's own words when it gave some; a listener
 * that takes no login (it answers the handshake ILLEGAL_SASL_STATE, offering no mechanism); a
 * connection closed during the handshake with no answer at all — what a TLS listener does to a
 * client that does not speak TLS (the client sends its handshake in the clear, the broker reads it
 * as a broken TLS hello); else the credentials.
 */
function loginFailure(said: string | undefined, offered: readonly string[] | undefined, noSaslHere: boolean, closed: boolean): { reason: string; fix: string } {
  if (offered !== undefined && offered.length > 0) return { reason: `the broker offers ${offered.join(', ')} only`, fix: credentialsFix }
  if (noSaslHere) return { reason: 'this broker listener takes no SASL login', fix: 'Unset KAFKA_SASL_USERNAME (or the sasl option), or dial the broker\'s SASL listener' }
  if (said !== undefined) return { reason: said, fix: credentialsFix }
  if (closed) return { reason: 'the broker closed the connection during the SASL handshake without answering, as a TLS listener does to a client that does not speak TLS', fix: 'Set KAFKA_TLS=true (or the tls option), or dial the broker\'s SASL_PLAINTEXT listener' }
  return { reason: 'the user name or password is wrong', fix: credentialsFix }
}

function tlsError(error: unknown, what: string): KafkaIpcError {
  let found: { code: string; message: string; fix: string } | undefined
  for (const node of errorTree(error)) found ??= tlsReason(node)
  const { code, message, fix } = found ?? { code: 'TLS', message: 'TLS failed', fix: '' }
  return new KafkaIpcError('KIPC_TLS_FAILED', `TLS with Kafka failed while ${what}: ${message} (${code}); ${fix}`, { cause: error, details: { tlsError: code } })
}

/** What a TLS failure in one error node means and how to fix it, or undefined when it is no TLS failure. */
function tlsReason(node: Record<string, unknown>): { code: string; message: string; fix: string } | undefined {
  const code = typeof node['code'] === 'string' ? node['code'] : ''
  const message = typeof node['message'] === 'string' ? node['message'] : code
  if (message === 'Broker requires TLS.') return { code: 'TLS_REQUIRED', message: 'the broker listener speaks TLS and this client does not', fix: 'set KAFKA_TLS=true (or the tls option).' }
  if (message.startsWith('TLS handshake failed') || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return { code: code === '' ? 'TLS_UNSUPPORTED' : code, message: 'the broker listener does not speak TLS', fix: 'unset KAFKA_TLS (or the tls option), or dial the TLS listener.' }
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return { code, message, fix: 'the broker certificate does not name the address dialled: dial a name it holds, or set KAFKA_TLS_SERVERNAME (tls.servername).' }
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return { code, message, fix: 'the broker certificate is outside its validity period: renew it.' }
  if (certificateCodes.has(code)) {
    return { code, message, fix: 'the broker certificate is not signed by a CA this process trusts: set KAFKA_TLS_CA_FILE (or tls.ca) to the CA that signed it.' }
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return { code, message, fix: 'check that the broker listener speaks TLS and the TLS settings.' }
  return undefined
}

function authorizationError(error: unknown, what: string, hint: AccessHint): KafkaIpcError {
  let kafkaError: AuthorizationError = 'TOPIC_AUTHORIZATION_FAILED'
  let api: string | undefined
  const topics = new Set<string>()
  for (const node of errorTree(error)) {
    if (typeof node['apiId'] === 'string' && Object.hasOwn(authorizationErrors, node['apiId'])) kafkaError = node['apiId'] as AuthorizationError
    api ??= typeof node['message'] === 'string' ? /while executing API (\w+)\(v\d+\)/.exec(node['message'])?.[1] : undefined
    if (node['response'] !== undefined) collectDeniedTopics(node['response'], undefined, topics, 0)
  }
  const resource = authorizationErrors[kafkaError]
  if (topics.size === 0) for (const topic of hint.topics ?? []) topics.add(topic)
  const names = resource === 'topic' ? [...topics] : resource === 'group' && hint.group !== undefined ? [hint.group] : resource === 'cluster' ? ['kafka-cluster'] : []
  const needs = api === undefined ? undefined : operationOfApi[api]
  const operation = (resource === 'topic' ? needs?.topic : resource === 'group' ? needs?.group : resource === 'cluster' ? needs?.cluster : undefined) ?? 'the operation'
  const target = `${resource}${names.length === 0 ? '' : ` ${names.join(', ')}`}`
  const implied = operation === 'IDEMPOTENT_WRITE' ? ' (WRITE on any topic grants it)' : operation === 'DESCRIBE' ? ` (${resource === 'topic' ? 'READ or WRITE' : 'READ'} on the ${resource} grants it)` : ''
  const principal = hint.principal ?? "this client's principal"
  return new KafkaIpcError(
    'KIPC_NOT_AUTHORIZED',
    `Kafka denied ${operation} on ${target}${implied} to ${principal} while ${what}${api === undefined ? '' : ` (${api} request, ${kafkaError})`}; grant it with an ACL (docs/security.md#acls).`,
    { cause: error, details: { resourceType: resource, resources: names, operation, kafkaError, ...(api === undefined ? {} : { api }), ...(hint.principal === undefined ? {} : { principal: hint.principal }) } },
  )
}

/**
 * Names of topics the broker refused in a response: a `name` with error 29 on it or below it
 * (a Produce response's partitions, a Metadata response's topics).
 */
function collectDeniedTopics(value: unknown, name: string | undefined, into: Set<string>, depth: number): void {
  if (typeof value !== 'object' || value === null || depth > 5 || value instanceof Uint8Array) return
  if (Array.isArray(value)) {
    for (const item of value) collectDeniedTopics(item, name, into, depth + 1)
    return
  }
  const record = value as Record<string, unknown>
  const here = typeof record['name'] === 'string' ? record['name'] : name
  if (record['errorCode'] === topicAuthorizationFailed && here !== undefined) into.add(here)
  for (const inner of Object.values(record)) if (typeof inner === 'object') collectDeniedTopics(inner, here, into, depth + 1)
}
