/**
 * Every error kafka-ipc can raise, in one table: a stable code, the HTTP-like status a caller sees,
 * whether retrying the same operation can succeed, and a one-line summary for docs/errors.md.
 *
 * A test checks docs/errors.md against this table, so a code cannot be added, renamed or removed
 * without the documentation following.
 *
 * @example
 * ```ts
 * import { errorCatalogue } from 'kafka-ipc'
 * errorCatalogue.KIPC_JAVA_MISSING.status // 500
 * ```
 */
export const errorCatalogue = {
  KIPC_INVALID_ARGUMENT: {
    status: 400,
    retryable: false,
    summary: 'An option or argument passed to kafka-ipc is missing or malformed.',
  },
  KIPC_BAD_REQUEST: {
    status: 400,
    retryable: false,
    summary: 'A request or event body failed validation against the contract.',
  },
  KIPC_NOT_FOUND: {
    status: 404,
    retryable: false,
    summary: 'The service has no route for this method and path.',
  },
  KIPC_PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    summary: 'A message body is larger than the policy allows (maxMessageBytes).',
  },
  KIPC_IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    retryable: false,
    summary: 'An Idempotency-Key already used for a different request (method, URL or body) was sent again; a new request needs a new key.',
  },
  KIPC_DUPLICATE_REQUEST: {
    status: 409,
    retryable: false,
    summary: 'A request with this message id was already handled and its answer is no longer kept, so it was not run again.',
  },
  KIPC_CANCELLED: {
    status: 499,
    retryable: false,
    summary: 'The caller cancelled the call (an AbortSignal, or leaving a stream early).',
  },
  KIPC_HANDLER_ERROR: {
    status: 500,
    retryable: false,
    summary: 'The remote handler threw an error that carried no code of its own.',
  },
  KIPC_HOOK_FAILED: {
    status: 500,
    retryable: false,
    summary: 'A hook threw an error that was not a KafkaIpcError rejection; the phase is in details.phase.',
  },
  KIPC_INVALID_REPLY: {
    status: 502,
    retryable: false,
    summary: 'The reply, or a stream item, failed validation against the contract.',
  },
  KIPC_RESULT_TOO_LARGE: {
    status: 502,
    retryable: false,
    summary: 'The gateway cannot keep an answer this large for an async or idempotent request (results.maxBodyBytes); without those it would stream.',
  },
  KIPC_PROTOCOL_ERROR: {
    status: 502,
    retryable: false,
    summary: 'A message broke the wire protocol (unknown version, missing or malformed header, undecodable body).',
  },
  KIPC_UNAVAILABLE: {
    status: 503,
    retryable: true,
    summary: 'The service or client is not listening yet, or is shutting down.',
  },
  KIPC_TIMEOUT: {
    status: 504,
    retryable: true,
    summary: 'No reply (or no end of the stream) arrived before the deadline.',
  },
  KIPC_TOPIC_MISSING: {
    status: 500,
    retryable: false,
    summary: 'A topic the service needs does not exist and the policy forbids creating topics.',
  },
  KIPC_TRANSPORT_ERROR: {
    status: 503,
    retryable: true,
    summary: 'The broker could not be reached or refused an operation.',
  },
  KIPC_UNKNOWN_SERVICE: {
    status: 404,
    retryable: true,
    summary: 'A call names a service whose request topic does not exist: a typo, or the service has never been started.',
  },
  KIPC_BROKER_UNREACHABLE: {
    status: 503,
    retryable: true,
    summary: 'No broker answered at the configured addresses within the connect timeout; the addresses and the last cause are named.',
  },
  KIPC_AUTHENTICATION_FAILED: {
    status: 401,
    retryable: false,
    summary: 'The broker refused this process\'s SASL login (wrong user, password or mechanism, or an expired or refused OAUTHBEARER token), or its listener and this process disagree on SASL or TLS (a login it takes none of, none where it expects one, a login in the clear to a TLS listener); failed at once, never retried.',
  },
  KIPC_NOT_AUTHORIZED: {
    status: 403,
    retryable: false,
    summary: 'A broker ACL denies this process\'s principal an operation; the resource (topic, group or cluster) and the operation are named.',
  },
  KIPC_TLS_FAILED: {
    status: 502,
    retryable: false,
    summary: 'The TLS handshake with the broker failed (an untrusted or mismatched certificate, or TLS on one side only); failed at once with the fix named.',
  },
  KIPC_INVALID_POLICY: {
    status: 500,
    retryable: false,
    summary: 'The policy (code, config file or environment) has a missing or malformed setting.',
  },
  KIPC_JAVA_MISSING: {
    status: 500,
    retryable: false,
    summary: 'Java 17 or newer is needed to run a local Kafka broker and none was found.',
  },
  KIPC_MAVEN_MISSING: {
    status: 500,
    retryable: false,
    summary: 'Maven is needed to fetch the Kafka broker jars the first time and was not found.',
  },
  KIPC_KAFKA_DOWNLOAD_FAILED: {
    status: 502,
    retryable: true,
    summary: 'Fetching the Apache Kafka broker jars from Maven Central failed.',
  },
  KIPC_PORT_IN_USE: {
    status: 409,
    retryable: false,
    summary: 'A port kafka-ipc needs — a local Kafka node\'s, the gateway\'s — is already taken by another process.',
  },
  KIPC_LOCAL_KAFKA_START_FAILED: {
    status: 500,
    retryable: false,
    summary: 'A local Kafka node exited or did not become ready in time; its log file is named.',
  },
  KIPC_LOCAL_KAFKA_CONFLICT: {
    status: 409,
    retryable: false,
    summary: 'The data folder is in use by a running cluster, or holds one of another shape (node count, port).',
  },
  KIPC_UNKNOWN_NODE: {
    status: 404,
    retryable: false,
    summary: 'A node id was given that the local cluster does not have.',
  },
} as const satisfies Record<string, ErrorSpec>

/** What the catalogue records for each code. */
export interface ErrorSpec {
  /** HTTP-like status a caller sees for this error. */
  readonly status: number
  /** True when the same operation may succeed if tried again later. */
  readonly retryable: boolean
  /** One sentence for docs/errors.md. */
  readonly summary: string
}

/** A code from {@link errorCatalogue}. */
export type ErrorCode = keyof typeof errorCatalogue
