/**
 * kafka-ipc: HTTP-shaped service-to-service calls over Apache Kafka — events, request-reply,
 * streams and gathers, typed by shared contracts.
 *
 * @example
 * ```ts
 * import { createService, createClient, route } from 'kafka-ipc'
 * import { z } from 'zod'
 *
 * const quote = route('pricing', 'POST /quotes', { body: z.object({ to: z.string() }), reply: z.object({ price: z.number() }) })
 * const app = createService({ name: 'pricing' }).handle(quote, async (req) => ({ price: 120 }))
 * await app.listen()
 * const { price } = await createClient({ name: 'booking' }).call(quote, { body: { to: 'JFK' } })
 * ```
 */
import './assert-supported-node.ts'
export { createClient, createService, type CreateOptions, type CreateServiceOptions } from './create.ts'
export { Client, type ClientOptions, type ClientPlugin, type ClientStats } from './core/client.ts'
export type { CallRetry } from './core/call-retries.ts'
export type { CallArgs, CallResponse, EmitArgs, EmitOptions, GatherAnswer, GatherArgs, GatherResult } from './core/call-types.ts'
export { Service, type ServiceOptions, type ServicePlugin, type ServiceStats } from './core/service.ts'
export type { DeduplicationClaim, DeduplicationStore, StoredAnswer } from './core/deduplication-store.ts'
export { memoryDeduplicationStore, type MemoryDeduplicationOptions } from './core/memory-deduplication-store.ts'
export { postgresDeduplicationStore, type PostgresDeduplicationOptions, type SqlQueryable } from './stores/postgres-deduplication-store.ts'
export type { Hook } from './core/pipeline/hooks.ts'
export type { FetchHandler } from './core/pipeline/service-pipeline.ts'
export type { KafkaFetchInit } from './core/pipeline/fetch-call.ts'
export { reply, Reply, type ReplyInit } from './core/http/reply.ts'
export type { QueryInit } from './core/http/query.ts'
export { codeForStatus, errorFromHttp, errorToHttp, statusCodes } from './core/http/error-status.ts'
export type { DecorationValue, DecorationValues, Decorations } from './core/decorations.ts'
export { diagnostics, type CallTrace, type Diagnostics, type EmitTrace, type EventTrace, type HandleTrace, type TraceChannel, type TraceSubscribers } from './core/diagnostics.ts'
export type {
  AnswerContext,
  AnswerKind,
  BeforeSendContext,
  CallErrorContext,
  ClientHooks,
  ClientPhase,
  DropContext,
  DropReason,
  ErrorContext,
  ExchangeInfo,
  ExchangeKind,
  FailedPhase,
  HandledKind,
  MessageInfo,
  Outcome,
  PipelineStep,
  PreHandlerContext,
  ReceiveContext,
  ResponseContext,
  SendContext,
  ServiceHooks,
  ServicePhase,
} from './core/pipeline/phases.ts'
export {
  event,
  gather,
  route,
  stream,
  type AnyContract,
  type EventContract,
  type GatherContract,
  type HttpMethod,
  type PathParams,
  type RouteContract,
  type RouteSpec,
  type StreamContract,
} from './core/contracts.ts'
export type { EventContext, EventHandler, GatherHandler, HandlerContext, HandlerFor, IncomingEvent, IncomingRequest, RouteHandler, RouteResult, StreamHandler } from './core/handler-types.ts'
export type { CallOptions } from './core/pending-calls.ts'
export { RemoteStream } from './core/remote-stream.ts'
export { typed, type InferIn, type InferOut, type Schema } from './core/schema.ts'
export { defaultPolicy, definePolicy, loadPolicy, type Policy, type PolicyInput } from './core/policy.ts'
export { topicNames, type ParsedTopic } from './core/protocol/topic-names.ts'
export type { Environment } from './core/environment.ts'
export { jsonCodec, type Codec } from './core/protocol/codec.ts'
export { protocolVersion, wireHeader, type MessageKind } from './core/protocol/envelope.ts'
export { envelopeField } from './core/protocol/packed-envelope.ts'
export type { BufferedRecords, HandlingWatcher, IncomingMessage, Inbox, InboxOptions, OutgoingMessage, SendOptions, SendReceipt, Subscription, SubscribeOptions, ToldHandling, TopicPartition, TopicSpec, Transport } from './core/transport.ts'
export type { ChannelHealth, ChannelState, HealthReport } from './core/channel-health.ts'
export { stderrLogger, type Logger } from './core/logger.ts'
export { logFailures, type ErrorListener, type FailureContext, type FailureKind } from './core/failure.ts'
export { errorCatalogue, type ErrorCode, type ErrorSpec } from './core/error-catalogue.ts'
export { KafkaIpcError, RemoteError, isKafkaIpcError, type AnyErrorCode, type KafkaIpcErrorOptions } from './core/kafka-ipc-error.ts'
export { kafkaTransport, type KafkaSaslMechanism, type KafkaSaslOptions, type KafkaSaslPasswordOptions, type KafkaSaslTokenOptions, type KafkaSecurityOptions, type KafkaTlsOptions, type KafkaTransportOptions, type KafkaTuning, type Pem } from './transports/kafka/kafka-transport.ts'
export { defaultProbeLimits, liveness, readiness, serveHealth, startup, type HealthServer, type HealthServerOptions, type HealthSource, type ProbeInputs, type ProbeLimits, type ProbeResult, shutdownOnSignals, type Closable, type ShutdownOptions } from './operations/index.ts'
export { defaultHealthPaths, defaultHealthPort, defaultShutdownGraceMs } from './operations/index.ts'
export { openTelemetryTracing, tracerName, type TracingOptions } from './operations/index.ts'
export type { CallSpan, ConsumedRecord, ConsumeSpan, MessageTracer, MessageTracing, OutgoingExchange, SendSpan } from './core/message-tracing.ts'
export { defaultLatencyBuckets, prometheusMetrics, type MetricsOptions, type MetricsSource, type PrometheusMetrics, type ServedMetricsOptions } from './operations/index.ts'
export type { ConsumerLag } from './core/service.ts'
export type { DropTrace, MessageChannel } from './core/diagnostics.ts'
export type { PartitionLag } from './core/transport.ts'
export { logConcernNames, logConcerns, parseLogLevels, resolveLogLevels, type ConcernLogger, type LogConcern, type LogConcerns, type LogLevels } from './core/log-concerns.ts'
export type { LogLevel } from './core/logger.ts'
export { asyncApiDocument, type AsyncApiDocument, type ContractDocumentOptions } from './docs/asyncapi-document.ts'
export { markdownReference } from './docs/markdown-reference.ts'
export { contractsIn } from './docs/contracts-in-module.ts'
