import type { Codec } from './codec.ts'
import { KafkaIpcError, RemoteError } from './kafka-ipc-error.ts'
import type { OutgoingMessage } from './transport.ts'
import { type MessageKind, newMessageId, protocolVersion, type WireHeaders, wireHeader } from './wire.ts'

/** The fields every outgoing envelope may carry besides version, kind and id. */
export interface EnvelopeFields {
  readonly correlation?: string | undefined
  readonly replyTo?: string | undefined
  readonly deadline?: number | undefined
  readonly method?: string | undefined
  readonly path?: string | undefined
  readonly status?: number | undefined
  readonly service?: string | undefined
  readonly seq?: number | undefined
}

/**
 * Builds one outgoing record: envelope headers over the application's headers, the encoded
 * body, and the size check the policy demands.
 */
export function buildMessage(
  target: { readonly topic: string; readonly partition?: number; readonly key?: string | undefined },
  kind: MessageKind,
  fields: EnvelopeFields,
  body: unknown,
  codec: Codec,
  maxBytes: number,
  headers?: WireHeaders,
  id: string = newMessageId(),
): OutgoingMessage {
  // Envelope first: a reader that stops at its header limit still sees the envelope.
  const all: WireHeaders = new Map()
  all.set(wireHeader.version, protocolVersion)
  all.set(wireHeader.kind, kind)
  all.set(wireHeader.id, id)
  all.set(wireHeader.contentType, codec.contentType)
  if (fields.correlation !== undefined) all.set(wireHeader.correlation, fields.correlation)
  if (fields.replyTo !== undefined) all.set(wireHeader.replyTo, fields.replyTo)
  if (fields.deadline !== undefined) all.set(wireHeader.deadline, String(fields.deadline))
  if (fields.method !== undefined) all.set(wireHeader.method, fields.method)
  if (fields.path !== undefined) all.set(wireHeader.path, fields.path)
  if (fields.status !== undefined) all.set(wireHeader.status, String(fields.status))
  if (fields.service !== undefined) all.set(wireHeader.service, fields.service)
  if (fields.seq !== undefined) all.set(wireHeader.seq, String(fields.seq))
  if (headers !== undefined) for (const [name, value] of headers) if (!all.has(name)) all.set(name, value)
  const value = codec.encode(body)
  if (value.byteLength > maxBytes) {
    throw new KafkaIpcError('KIPC_PAYLOAD_TOO_LARGE', `The ${kind} body is ${value.byteLength} bytes; the policy allows ${maxBytes} (maxMessageBytes).`, {
      details: { bytes: value.byteLength, limit: maxBytes },
    })
  }
  return {
    topic: target.topic,
    ...(target.partition === undefined ? {} : { partition: target.partition }),
    ...(target.key === undefined ? {} : { key: target.key }),
    headers: all,
    value,
  }
}

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
  const retryable = fields['retryable'] === true
  const stack = typeof fields['stack'] === 'string' ? fields['stack'].slice(0, 50_000) : undefined
  return new RemoteError(service, code, message, { status: status ?? 500, retryable, ...(stack === undefined ? {} : { remoteStack: stack }) })
}
