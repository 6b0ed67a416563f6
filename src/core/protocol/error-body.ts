import { KafkaIpcError, RemoteError } from '../kafka-ipc-error.ts'

/** The body of an error message. */
export interface ErrorBody {
  readonly code: string
  readonly message: string
  readonly retryable: boolean
  readonly stack?: string
}

/** An error as it travels: catalogue or application code, message, and the stack only if exposed. */
export function errorBody(error: unknown, exposeStack: boolean): { status: number; body: ErrorBody } {
  if (error instanceof KafkaIpcError) {
    return { status: error.status, body: { code: error.code, message: error.message, retryable: error.retryable, ...(exposeStack && error.stack !== undefined ? { stack: error.stack } : {}) } }
  }
  const message = error instanceof Error ? error.message : String(error)
  const stack = error instanceof Error ? error.stack : undefined
  return { status: 500, body: { code: 'KIPC_HANDLER_ERROR', message, retryable: false, ...(exposeStack && stack !== undefined ? { stack } : {}) } }
}

/** Rebuilds a received error message as a {@link RemoteError}, defensively: the body is untrusted. */
export function remoteError(service: string, status: number | undefined, body: unknown): RemoteError {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const code = typeof fields['code'] === 'string' ? fields['code'].slice(0, 100) : 'KIPC_HANDLER_ERROR'
  const message = typeof fields['message'] === 'string' ? fields['message'].slice(0, 10_000) : 'The remote handler failed.'
  // Without a retryable flag, the catalogue's (for a catalogue code) decides.
  const retryable = typeof fields['retryable'] === 'boolean' ? { retryable: fields['retryable'] } : {}
  const stack = typeof fields['stack'] === 'string' ? fields['stack'].slice(0, 50_000) : undefined
  return new RemoteError(service, code, message, { status: status ?? 500, ...retryable, ...(stack === undefined ? {} : { remoteStack: stack }) })
}
