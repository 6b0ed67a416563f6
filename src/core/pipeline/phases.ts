/**
 * The named phases of kafka-ipc's message pipeline and what a hook at each one reads and may change
 * (docs/lifecycle.md draws them). Service phases run for every record a service consumes — request,
 * stream request, gather, event (events skip the answer phases); client phases for every call,
 * stream, gather and emit.
 */

/** What kind of record a service is handling. */
export type HandledKind = 'route' | 'stream' | 'gather' | 'event'

/** What every service hook reads about the record in hand. */
export interface MessageInfo {
  /** The service handling it. */
  readonly service: string
  readonly kind: HandledKind
  /** What it asks for: `POST /quotes`, a gather name, an event name. */
  readonly target: string
  /** Its `kipc-id`. */
  readonly id: string
  /** The sending service, when it said. */
  readonly caller: string | undefined
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: string | undefined
  /** The sender's application headers, lowercase, without the envelope. */
  readonly headers: Readonly<Record<string, string>>
  /** Room for hooks to leave things for later hooks and the handler (`context.state` there). */
  readonly state: Record<string, unknown>
}

/** `onReceive`: routed, not yet decoded. A KafkaIpcError thrown here is the answer (or drops an event). */
export type ReceiveContext = MessageInfo

/** `preHandler`: the body decoded and valid, the handler next. A KafkaIpcError thrown here is the answer. */
export interface PreHandlerContext extends MessageInfo {
  readonly body: unknown
}

/** An answer on its way to the caller. */
export type AnswerKind = 'reply' | 'item' | 'items' | 'end' | 'error'

/**
 * `onSend`: an answer about to be written — a reply, each stream record, the end, an error. A hook
 * may add headers to it; a KafkaIpcError thrown for a reply or stream record is sent instead.
 */
export interface SendContext extends MessageInfo {
  readonly answer: AnswerKind
  readonly status: number
  readonly body: unknown
  /** Adds an application header to this answer (the header rules of protocol.md §2 apply). */
  readonly setHeader: (name: string, value: string) => void
}

/** How handling a record ended. */
export type Outcome = 'answered' | 'failed' | 'handled' | 'timed-out' | 'cancelled'

/** `onResponse`: the record is done — its answer sent, or its event handled or failed. Read-only. */
export interface ResponseContext extends MessageInfo {
  readonly outcome: Outcome
  /** The status answered (requests), or undefined (events, and nothing sent). */
  readonly status: number | undefined
  /** From the `onReceive` phase to the end, in ms. */
  readonly durationMs: number
}

/** `onError`: a handler, a validation or a hook failed; the error answer (requests) follows. Read-only. */
export interface ErrorContext extends MessageInfo {
  readonly error: unknown
  /** The phase that failed. */
  readonly phase: FailedPhase
}

/** Why a record was dropped before any handler ran. */
export type DropReason = 'malformed' | 'expired' | 'reply-target' | 'copy'

/** `onDrop`: a record the drop rules took out; nothing is answered. Read-only. */
export interface DropContext {
  readonly service: string
  readonly reason: DropReason
  readonly error: unknown
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly id: string | undefined
  readonly caller: string | undefined
}

/** The service-side phases and the context each hook receives. */
export interface ServiceHooks {
  onDrop: DropContext
  onReceive: ReceiveContext
  preHandler: PreHandlerContext
  onSend: SendContext
  onResponse: ResponseContext
  onError: ErrorContext
  /** The deadline passed while the handler ran: nothing is sent. */
  onTimeout: MessageInfo
  /** The caller cancelled while the handler ran: nothing more is sent. */
  onCancel: MessageInfo
}

/** A service-side phase name. */
export type ServicePhase = keyof ServiceHooks

/** Every service-side phase, in pipeline order. */
export const servicePhases: readonly ServicePhase[] = ['onDrop', 'onReceive', 'preHandler', 'onSend', 'onResponse', 'onError', 'onTimeout', 'onCancel']

/** Whether `phase` names a service-side phase. */
export function isServicePhase(phase: string): phase is ServicePhase {
  return (servicePhases as readonly string[]).includes(phase)
}

/** The steps of the service pipeline that are not hook phases, named in failure reports. */
export type PipelineStep = 'receive' | 'drop-rules' | 'route' | 'deduplicate' | 'decode' | 'validate' | 'handler' | 'serialize' | 'send'

/** Where a failure happened: a step of the pipeline or a hook phase, on either side. */
export type FailedPhase = PipelineStep | ServicePhase | ClientPhase

/** What a client is sending. */
export type ExchangeKind = 'call' | 'stream' | 'gather' | 'emit'

/** What every client hook reads about the exchange in hand. */
export interface ExchangeInfo {
  /** The client (or service) sending. */
  readonly client: string
  readonly kind: ExchangeKind
  /** The service and route (`pricing POST /quotes`), the gather or the event asked for. */
  readonly target: string
  /** The request's (or event's) `kipc-id`: one id for the exchange, across any retry. */
  readonly id: string
  readonly topic: string
}

/** `beforeSend`: the record is built and about to go. A hook may add headers; a KafkaIpcError thrown here fails the call before anything is sent. */
export interface BeforeSendContext extends ExchangeInfo {
  readonly body: unknown
  readonly headers: Readonly<Record<string, string>>
  /** Adds an application header to the outgoing record (protocol.md §2 rules apply). */
  readonly setHeader: (name: string, value: string) => void
}

/** `onAnswer`: an answer arrived for the exchange — a reply, each stream item, the end, an error, each gather answer. Read-only. */
export interface AnswerContext extends ExchangeInfo {
  readonly answer: 'reply' | 'item' | 'end' | 'error'
  readonly status: number | undefined
  /** The answering service. */
  readonly service: string | undefined
  readonly body: unknown
  /** The answer's application headers (those its responder's `onSend` hooks added among them), without the envelope. */
  readonly headers: Readonly<Record<string, string>>
}

/** `onCallError`: the exchange failed — an error answer, a timeout, a cancel, a local failure. Read-only. */
export interface CallErrorContext extends ExchangeInfo {
  readonly error: unknown
}

/** The client-side phases and the context each hook receives. */
export interface ClientHooks {
  beforeSend: BeforeSendContext
  onAnswer: AnswerContext
  onCallError: CallErrorContext
}

/** A client-side phase name. */
export type ClientPhase = keyof ClientHooks

/** Every client-side phase, in pipeline order. */
export const clientPhases: readonly ClientPhase[] = ['beforeSend', 'onAnswer', 'onCallError']

/** Whether `phase` names a client-side phase. */
export function isClientPhase(phase: string): phase is ClientPhase {
  return (clientPhases as readonly string[]).includes(phase)
}
