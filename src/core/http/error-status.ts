import { errorCatalogue, type ErrorCode } from '../error-catalogue.ts'
import { type AnyErrorCode, RemoteError } from '../kafka-ipc-error.ts'
import { type ErrorBody, errorBody, remoteError } from '../protocol/error-body.ts'

/**
 * The one table between error codes and HTTP statuses (docs/errors.md). An error's status is its
 * catalogue status (or the status an application gave its own code); a status that arrives without
 * an error body — a mounted app's 404, a proxy's 502 — reads back as the code this table names, or
 * as `HTTP_<status>` for a status it does not list.
 *
 * @example
 * ```ts
 * codeForStatus(404) // 'KIPC_NOT_FOUND'
 * codeForStatus(409) // 'HTTP_409'
 * ```
 */
export const statusCodes = {
  400: 'KIPC_BAD_REQUEST',
  404: 'KIPC_NOT_FOUND',
  413: 'KIPC_PAYLOAD_TOO_LARGE',
  499: 'KIPC_CANCELLED',
  500: 'KIPC_HANDLER_ERROR',
  502: 'KIPC_PROTOCOL_ERROR',
  503: 'KIPC_UNAVAILABLE',
  504: 'KIPC_TIMEOUT',
} as const satisfies Readonly<Record<number, ErrorCode>>

/** The code a bare HTTP status reads back as. */
export function codeForStatus(status: number): AnyErrorCode {
  return Object.hasOwn(statusCodes, status) ? statusCodes[status as keyof typeof statusCodes] : `HTTP_${String(status)}`
}


/** An error as an HTTP response: its status and the same JSON error body the wire carries. */
export function errorToHttp(error: unknown, exposeStack = false): { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: ErrorBody } {
  const { status, body } = errorBody(error, exposeStack)
  return { status, headers: { 'content-type': 'application/json' }, body }
}

/**
 * Reads an HTTP error response back as the error it carries: the code, message and retryability
 * of a kafka-ipc error body, or — for any other body — the code {@link codeForStatus} names, the
 * body's text (up to 1 000 characters) as the message, and the catalogue's retryability.
 *
 * @example
 * ```ts
 * errorFromHttp('pricing', 404, undefined).code // 'KIPC_NOT_FOUND'
 * ```
 */
export function errorFromHttp(service: string, status: number, body: unknown): RemoteError {
  if (isErrorBody(body)) return remoteError(service, status, body)
  const code = codeForStatus(status)
  const spec = Object.hasOwn(errorCatalogue, code) ? errorCatalogue[code as ErrorCode] : undefined
  const text = typeof body === 'string' ? body.slice(0, 1_000) : ''
  const message = text === '' ? `${service} answered with status ${String(status)}.` : text
  return new RemoteError(service, code, message, { status, retryable: spec?.retryable ?? (status === 429 || status === 503) })
}

function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' && typeof (body as { message?: unknown }).message === 'string'
}
