import { errorCatalogue, type ErrorCode } from './error-catalogue.ts'

/** Extra facts attached to a {@link KafkaIpcError}. */
export interface KafkaIpcErrorOptions {
  /** The lower-level error that caused this one. */
  readonly cause?: unknown
  /** Machine-readable details (a port, a file path, a topic name). */
  readonly details?: Readonly<Record<string, unknown>>
}

/**
 * The one error type kafka-ipc throws. Its `code` is stable and documented in docs/errors.md;
 * `status` and `retryable` come from the catalogue so callers can branch without string matching.
 *
 * @example
 * ```ts
 * import { KafkaIpcError } from 'kafka-ipc'
 * try {
 *   await LocalKafka.start()
 * } catch (error) {
 *   if (error instanceof KafkaIpcError && error.code === 'KIPC_JAVA_MISSING') console.error(error.message)
 * }
 * ```
 */
export class KafkaIpcError extends Error {
  override readonly name = 'KafkaIpcError'
  readonly code: ErrorCode
  readonly status: number
  readonly retryable: boolean
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: KafkaIpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    const spec = errorCatalogue[code]
    this.code = code
    this.status = spec.status
    this.retryable = spec.retryable
    this.details = options.details ?? {}
  }
}

/**
 * True when `error` is a {@link KafkaIpcError}, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isKafkaIpcError(error, 'KIPC_PORT_IN_USE')) console.error('pick another --port')
 * ```
 */
export function isKafkaIpcError(error: unknown, code?: ErrorCode): error is KafkaIpcError {
  return error instanceof KafkaIpcError && (code === undefined || error.code === code)
}
