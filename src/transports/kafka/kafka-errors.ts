import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { accessError, accessFailureKind, type AccessHint } from './kafka-access-errors.ts'
import { errorTree } from './error-tree.ts'

/** Kafka protocol error codes kafka-ipc reacts to. */
export const kafkaErrorCode = { unknownTopicOrPartition: 3, topicAlreadyExists: 36 } as const

/**
 * Broker answers that another attempt cannot fix: the record is too big, the topic name or the
 * credentials are wrong, the topic is gone (an inbox deleted by a caller that shut down). Every
 * other failure — a lost connection, "not leader", an election under way, too few in-sync
 * replicas — is worth retrying while the operation still has time.
 */
const permanentApiErrors = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_COMPRESSION_TYPE',
])

/**
 * The client's own error codes that no retry helps. PLT_KFK_USER is what a send to a topic that no
 * longer exists fails with ("Unknown topic …"): an inbox deleted by a caller that shut down. Retried
 * until the request's deadline, such an answer held a closing service for that long.
 */
const permanentClientCodes = new Set(['PLT_KFK_USER', 'PLT_KFK_AUTHENTICATION', 'PLT_KFK_UNSUPPORTED_API', 'PLT_KFK_UNSUPPORTED_COMPRESSION', 'PLT_KFK_UNSUPPORTED_FORMAT', 'PLT_KFK_UNSUPPORTED'])

/**
 * Every per-topic Kafka error code inside an error from @platformatic/kafka, which nests the
 * broker's response (`response.topics[].errorCode`) under one or more aggregate errors.
 */
export function topicErrorCodes(error: unknown): Set<number> {
  const codes = new Set<number>()
  for (const node of errorTree(error)) {
    const topics = (node['response'] as { topics?: unknown } | undefined)?.topics
    if (!Array.isArray(topics)) continue
    for (const topic of topics as unknown[]) {
      const code = (topic as { errorCode?: unknown } | null)?.errorCode
      if (typeof code === 'number' && code !== 0) codes.add(code)
    }
  }
  return codes
}

/** True when the only problems in `error` are per-topic errors with codes in `benign`. */
export function onlyTopicErrors(error: unknown, benign: number): boolean {
  const codes = topicErrorCodes(error)
  return codes.size > 0 && [...codes].every((code) => code === benign)
}

/**
 * True when `error` says a topic does not exist: the broker's UNKNOWN_TOPIC_OR_PARTITION, or the
 * client's own "Unknown topic" (PLT_KFK_USER), which it raises from metadata it already holds.
 */
export function isUnknownTopicError(error: unknown): boolean {
  if (topicErrorCodes(error).has(kafkaErrorCode.unknownTopicOrPartition)) return true
  for (const node of errorTree(error)) {
    if (node['apiId'] === 'UNKNOWN_TOPIC_OR_PARTITION') return true
    if (node['code'] === 'PLT_KFK_USER' && typeof node['message'] === 'string' && /^Unknown topic /.test(node['message'])) return true
  }
  return false
}

/** The coordinator's answers to a group member whose generation is over: it has to join again. */
const rejoinApiErrors = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID'])

/**
 * True when `error` says the group is rebalancing or the member's generation is over — the
 * refusal a commit meets during a rebalance: expected, and tried again once the member rejoined.
 *
 * @example
 * ```ts
 * consumer.commit({ offsets }).catch((error) => { if (!isRebalanceError(error)) report(error) })
 * ```
 */
export function isRebalanceError(error: unknown): boolean {
  for (const node of errorTree(error)) if (typeof node['apiId'] === 'string' && rejoinApiErrors.has(node['apiId'])) return true
  return false
}

/** True when trying the same operation again, after a pause, may succeed (see {@link permanentApiErrors}). */
export function isRetryableKafkaError(error: unknown): boolean {
  if (error instanceof KafkaIpcError && error.cause === undefined) return error.retryable
  for (const node of errorTree(error)) {
    if (typeof node['apiId'] === 'string' && permanentApiErrors.has(node['apiId'])) return false
    if (typeof node['code'] === 'string' && permanentClientCodes.has(node['code'])) return false
  }
  // A certificate the client does not trust, or TLS on one side only, wrapped in a retryable network error.
  return accessFailureKind(error) === undefined
}

/**
 * Turns anything the client library reports — an Error, an aggregate of nested errors, or the
 * plain object its heartbeat events carry (`{ groupId, memberId, generationId, error }`) — into a
 * KIPC_TRANSPORT_ERROR whose message names what failed and the innermost reasons, with the
 * original kept as the cause. A refusal — the SASL login, the TLS handshake, an ACL — becomes
 * KIPC_AUTHENTICATION_FAILED, KIPC_TLS_FAILED or KIPC_NOT_AUTHORIZED instead ({@link accessError});
 * `hint` names the group or topics where the broker's answer does not.
 */
export function asTransportError(error: unknown, what: string, hint?: AccessHint): KafkaIpcError {
  if (error instanceof KafkaIpcError) return error
  const inner = typeof error === 'object' && error !== null && !(error instanceof Error) && 'error' in error ? (error).error : error
  const refused = accessError(inner, what, hint)
  if (refused !== undefined) return refused
  const reasons = messagesOf([...errorTree(inner)].filter((node) => !Array.isArray(node['errors'])))
  const top = inner instanceof Error ? inner.message : String(inner)
  const detail = reasons.length === 0 || (reasons.length === 1 && reasons[0] === top) ? top : `${top} (${reasons.slice(0, 3).join('; ')})`
  return new KafkaIpcError('KIPC_TRANSPORT_ERROR', `Kafka: ${what}: ${detail}`, { cause: error, retryable: isRetryableKafkaError(inner) })
}

/**
 * The underlying reason in an error from the client library — the innermost messages, such as
 * `connect ECONNREFUSED 127.0.0.1:9092` — rather than its summary (`metadata failed 1 times.`).
 */
export function innermostReason(error: unknown): string {
  const leaves = messagesOf([...errorTree(error)].filter((node) => !Array.isArray(node['errors']) && node['cause'] === undefined))
  if (leaves.length > 0) return leaves.slice(0, 2).join('; ')
  return error instanceof Error ? error.message : String(error)
}

/** The distinct, non-empty messages of error-tree nodes, in order. */
function messagesOf(nodes: readonly Record<string, unknown>[]): string[] {
  return [...new Set(nodes.map((node) => (typeof node['message'] === 'string' ? node['message'] : '')).filter((message) => message !== ''))]
}
