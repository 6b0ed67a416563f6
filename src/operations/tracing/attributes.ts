import type { Attributes } from '@opentelemetry/api'
import { isKafkaIpcError } from '../../core/kafka-ipc-error.ts'
import type { ConsumedRecord, OutgoingExchange } from '../../core/message-tracing.ts'
import { wireHeader } from '../../core/protocol/envelope.ts'
import { envelopeField } from '../../core/protocol/packed-envelope.ts'
import type { OutgoingMessage } from '../../core/transport.ts'

// The span names and attributes kafka-ipc's OpenTelemetry spans carry (docs/operations.md#tracing):
// the messaging semantic conventions for Kafka, the HTTP ones for the HTTP shape, and `kafka_ipc.*`
// for what neither names.

/** `process <topic>`: the CONSUMER span of one record a service handles, with the record's attributes. */
export function consumeAttributes(record: ConsumedRecord, clientId: string): Attributes {
  const { message, envelope } = record
  const attributes: Attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.name': 'process',
    'messaging.operation.type': 'process',
    'messaging.destination.name': message.topic,
    'messaging.consumer.group.name': record.group,
    'messaging.destination.partition.id': String(message.partition),
    'messaging.kafka.offset': Number(message.offset),
    'messaging.message.id': envelope.id,
    'messaging.client.id': clientId,
    'kafka_ipc.kind': record.kind,
  }
  if (message.key !== undefined) attributes['messaging.kafka.message.key'] = message.key
  if (envelope.service !== undefined) attributes['kafka_ipc.caller'] = envelope.service
  if (record.kind !== 'event') {
    // A request opens a conversation its answers carry as their correlation: its own id.
    attributes['messaging.message.conversation_id'] = envelope.id
    if (envelope.method !== undefined) attributes['http.request.method'] = envelope.method
    if (envelope.path !== undefined) attributes['url.path'] = envelope.path
    if (record.route !== undefined) attributes['http.route'] = record.route
  }
  return attributes
}

/** `send <topic>`: the PRODUCER span of one request or event, with the record's attributes. */
export function sendAttributes(message: OutgoingMessage, clientId: string): Attributes {
  const id = envelopeField(message.headers, wireHeader.id)
  const attributes: Attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.name': 'send',
    'messaging.operation.type': 'send',
    'messaging.destination.name': message.topic,
    'messaging.client.id': clientId,
  }
  if (id !== undefined) {
    attributes['messaging.message.id'] = id
    if (envelopeField(message.headers, wireHeader.kind) === 'request') attributes['messaging.message.conversation_id'] = id
  }
  if (message.key !== undefined) attributes['messaging.kafka.message.key'] = message.key
  if (message.partition !== undefined) attributes['messaging.destination.partition.id'] = String(message.partition)
  return attributes
}

/**
 * The CLIENT span of one call, stream or gather, named as the call is (`pricing POST /quotes/:id`,
 * `gather seat.hold`); a fetch() declares no route, so its span is named by service and method
 * alone (`pricing GET`) and its path is an attribute.
 */
export function exchangeName(exchange: OutgoingExchange): string {
  if (exchange.gather !== undefined) return `gather ${exchange.gather}`
  const service = exchange.service ?? '?'
  return exchange.unrouted === true ? `${service} ${exchange.method}` : `${service} ${exchange.method} ${exchange.route}`
}

/** The attributes of an exchange's CLIENT span, known when it starts. */
export function exchangeAttributes(exchange: OutgoingExchange, clientId: string): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'kafka',
    'messaging.destination.name': exchange.topic,
    'messaging.client.id': clientId,
    'kafka_ipc.kind': exchange.kind,
  }
  if (exchange.gather !== undefined) {
    attributes['kafka_ipc.gather'] = exchange.gather
    return attributes
  }
  if (exchange.service !== undefined) attributes['kafka_ipc.service'] = exchange.service
  attributes['http.request.method'] = exchange.method
  attributes['url.path'] = exchange.path
  if (exchange.unrouted !== true) attributes['url.template'] = exchange.route
  return attributes
}

/**
 * `error.type` of a failure: a kafka-ipc error's code (`KIPC_TIMEOUT`, the handler's own code),
 * else the error's class (`TypeError`), else `_OTHER` — few values, as the conventions ask.
 */
export function errorType(error: unknown): string {
  if (isKafkaIpcError(error)) return error.code
  if (error instanceof Error) return error.constructor.name === '' ? error.name : error.constructor.name
  return '_OTHER'
}

/** The code an error answer's body names (the responder's error), or undefined when it names none. */
export function answeredCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const code = (body as Record<string, unknown>)['code']
  return typeof code === 'string' ? code.slice(0, 100) : undefined
}
