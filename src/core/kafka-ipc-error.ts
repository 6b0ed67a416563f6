import { errorCatalogue, type ErrorCode } from './error-catalogue.ts'

/** Extra facts attached to a {@link KafkaIpcError}. */
export interface KafkaIpcErrorOptions {
  /** The lower-level error that caused this one. */
  readonly cause?: unknown
  /** Machine-readable details (a port, a file path, a topic name). */
  readonly details?: Readonly<Record<string, unknown>>
  /** HTTP-like status; defaults to the catalogue's for catalogue codes, else 500. */
  readonly status?: number
  /** Whether trying again may succeed; defaults to the catalogue's for catalogue codes, else false. */
  readonly retryable?: boolean
}

/** A catalogue code, or an application's own code (for example `SEAT_TAKEN`) thrown by a handler. */
export type AnyErrorCode = ErrorCode | (string & {})

/**
 * The one error type kafka-ipc throws. Its `code` is stable and documented in docs/errors.md;
 * `status` and `retryable` come from the catalogue so callers can branch without string matching.
 * Handlers may throw it with their own code and status; the caller receives them unchanged as a
 * {@link RemoteError}.
 *
 * @example
 * ```ts
 * import { KafkaIpcError } from 'kafka-ipc'
 * app.handle(bookSeat, async (req) => {
 *   if (taken(req.body.seat)) throw new KafkaIpcError('SEAT_TAKEN', 'Seat 12A is taken', { status: 409 })
 *   return { ok: true }
 * })
 * ```
 */
export class KafkaIpcError extends Error {
  override readonly name: string = 'KafkaIpcError'
  readonly code: AnyErrorCode
  readonly status: number
  readonly retryable: boolean
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: AnyErrorCode, message: string, options: KafkaIpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    const spec = Object.hasOwn(errorCatalogue, code) ? errorCatalogue[code as ErrorCode] : undefined
    this.code = code
    this.status = options.status ?? spec?.status ?? 500
    this.retryable = options.retryable ?? spec?.retryable ?? false
    this.details = options.details ?? {}
  }
}

/**
 * An error that happened in another service and travelled back over Kafka: its code, status and
 * message are the remote handler's; `service` names who answered. The remote stack is included
 * only when the responder's policy allows (`exposeErrorStack`).
 *
 * @example
 * ```ts
 * try {
 *   await client.call(quote, { body })
 * } catch (error) {
 *   if (error instanceof RemoteError && error.status === 400) console.error(error.message)
 * }
 * ```
 */
export class RemoteError extends KafkaIpcError {
  override readonly name: string = 'RemoteError'
  /** Name of the service whose handler failed. */
  readonly service: string
  /** The remote stack trace, when the responder exposes it. */
  readonly remoteStack: string | undefined

  constructor(service: string, code: AnyErrorCode, message: string, options: KafkaIpcErrorOptions & { readonly remoteStack?: string } = {}) {
    super(code, message, options)
    this.service = service
    this.remoteStack = options.remoteStack
  }
}

/**
 * True when `error` is a {@link KafkaIpcError}, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isKafkaIpcError(error, 'KIPC_TIMEOUT')) retryLater()
 * ```
 */
export function isKafkaIpcError(error: unknown, code?: AnyErrorCode): error is KafkaIpcError {
  return error instanceof KafkaIpcError && (code === undefined || error.code === code)
}
