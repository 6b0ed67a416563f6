import { readFileSync } from 'node:fs'
import { type Codec, jsonCodec } from './protocol/codec.ts'
import { KafkaIpcError } from './kafka-ipc-error.ts'
import type { Environment } from './environment.ts'

/**
 * Every decision about the broker, made once for a whole fleet of services: topic names,
 * partitions, replication, retention, codec, timeouts, limits. Services and clients built with
 * the same policy interoperate; nothing else about Kafka needs to be known.
 */
export interface Policy {
  /** First segment of every topic and group name. */
  readonly prefix: string
  /** Partitions of request, event and gather topics: the most instances that share one service's work. */
  readonly partitions: number
  /** Replication factor of new topics; -1 lets the broker decide. */
  readonly replication: number
  /** How long records are kept, per kind of topic, in ms. */
  readonly retentionMs: { readonly requests: number; readonly events: number; readonly inbox: number; readonly deadLetters: number }
  /** Default deadline of a call, stream or gather, in ms from sending. */
  readonly timeoutMs: number
  /**
   * The longest a call may wait and a handler may run, in ms. Callers refuse a longer `timeout`;
   * responders cut a `kipc-deadline` further ahead down to now + this. One hour by default — the
   * requests topic's retention, after which the request itself is gone — and never more than
   * 2^31−1 ms (about 24.8 days), the longest a Node.js timer can wait.
   */
  readonly maxTimeoutMs: number
  /** Create missing topics; when false a missing topic is a KIPC_TOPIC_MISSING error. */
  readonly autoCreateTopics: boolean
  /** Largest body accepted or sent, in bytes. */
  readonly maxMessageBytes: number
  /** Send handlers' stack traces to callers (development only). */
  readonly exposeErrorStack: boolean
  /** Check replies and stream items against the contract, on both sides. */
  readonly validateReplies: boolean
  /** Records one subscription may process at once. */
  readonly maxInFlight: number
  /**
   * Bytes of records (keys, values, headers) one subscription may hold fetched and not yet
   * finished; fetching pauses while it is full and resumes as records finish, so a backlog is
   * worked through in bounded memory (docs/reliability.md#memory-bounds). A quarter goes to what
   * one round of fetches may bring. At least `maxMessageBytes`, so that any record fits.
   */
  readonly maxBufferedBytes: number
  /** Where a service subscribing to an event for the first time starts. */
  readonly eventsStartFrom: 'earliest' | 'latest'
  /**
   * How many recent message ids a service remembers per consumed partition, to run a request or
   * event handler once when the broker stored its record twice (as Kafka's producer can during a
   * leader election; docs/reliability.md). 0 turns this off. It does not span instances: a record
   * redelivered to another instance after a crash may still run twice.
   */
  readonly deduplicationWindow: number
  /**
   * How long an inbox may go without a write before the instance that owns it counts as gone and
   * its topic is deleted, in ms (docs/operations.md#inbox-clean-up). Every instance writes a
   * heartbeat to its own inbox five times per period and sweeps the others' now and then; a
   * stale inbox is deleted only when a second look, two heartbeats later, finds it unchanged.
   * 0 turns heartbeats and sweeps off. Fleet-wide: every instance judges the others by it.
   */
  readonly inboxIdleMs: number
  /**
   * How an event whose handler failed is tried again before its record goes to the service's
   * dead-letter topic (docs/reliability.md#retries-and-dead-letters): up to `maxAttempts` runs in
   * all, waiting `initialDelayMs`, doubling up to `maxDelayMs`, each with jitter. A failure that
   * another run cannot mend — a body that does not decode or validate, a KafkaIpcError that is
   * not `retryable` — goes there at once. Other keys of the partition run on meanwhile.
   */
  readonly eventRetries: { readonly maxAttempts: number; readonly initialDelayMs: number; readonly maxDelayMs: number }
  /**
   * How record batches are compressed on the way to the broker. `none` by default: every Kafka
   * client reads it (kafkajs, under NestJS, reads only gzip without plugins). `zstd` pays off for
   * event-heavy fleets with repetitive JSON (docs/performance.md).
   */
  readonly compression: Compression
  /**
   * How the envelope is written on Kafka records (docs/protocol.md §2): `packed`, the default,
   * puts every `kipc-*` field in one `kipc` header (`v=1;kind=request;id=…`); `headers` writes one
   * header per field. kafka-ipc reads both forms, so a fleet can switch in any order; `headers`
   * is for readers outside kafka-ipc that look the fields up one by one. Packed costs the client
   * library one header to frame and parse instead of nine, about a fifth of a request's CPU
   * (docs/decisions/0012-a-packed-envelope-header.md).
   */
  readonly envelope: EnvelopeForm
  /**
   * Stream flow control: the most items of one stream a caller holds unread
   * (docs/reliability.md#stream-flow-control). A caller announces it on its stream requests; the
   * responder then runs at most this many items ahead of the reader and waits for credit, so a
   * slow reader holds a bounded buffer and one that stops reading stalls its responder until the
   * deadline. Counted in items (an `items` record carrying several counts each). 0 turns it off:
   * nothing is announced and items come as fast as the responder yields them.
   */
  readonly streamWindow: number
  readonly codec: Codec
}

/** Record batch compression codecs Kafka understands. */
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/**
 * How a transport with record headers writes the envelope: all in one `kipc` header, or one
 * header per field (policy.envelope).
 *
 * @example
 * ```ts
 * const policy = definePolicy({ envelope: 'headers' }) // for a Java consumer that reads kipc-kind itself
 * ```
 */
export type EnvelopeForm = 'packed' | 'headers'

const envelopeForms: readonly string[] = ['packed', 'headers']

const compressions: readonly string[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/**
 * Wider than the farthest apart two copies of one record were seen in the failover tests, with
 * room to spare (1,053 records); as 64-bit fingerprints, about 200 KB per consumed partition.
 */
const DEDUPLICATION_WINDOW = 10_000

/** The largest stream window: beyond it flow control bounds nothing a process could hold. */
const maxStreamWindow = 1_000_000_000

/** The longest delay setTimeout honours; a longer one fires after 1 ms. */
export const maxTimerMs = 2 ** 31 - 1

/** The defaults: safe for production, fast on a laptop. */
export const defaultPolicy: Policy = Object.freeze({
  prefix: 'kipc',
  partitions: 6,
  replication: -1,
  retentionMs: Object.freeze({ requests: 3_600_000, events: 7 * 24 * 3_600_000, inbox: 600_000, deadLetters: 14 * 24 * 3_600_000 }),
  timeoutMs: 5_000,
  maxTimeoutMs: 3_600_000,
  autoCreateTopics: true,
  // Under the broker's default message.max.bytes (1 MiB + 12), leaving room for headers.
  maxMessageBytes: 1_000_000,
  exposeErrorStack: false,
  validateReplies: true,
  maxInFlight: 256,
  // 8 MiB: fetches of 2 MiB, and up to 6 MiB of records started — six 1 MB records at once. A
  // 1 M-record backlog peaked at 450–470 MB of RSS, where the client's 50 MB fetches took 1.5–1.6
  // GB; 2 MiB saved 60–70 MB more, 32 MiB cost 120–200 MB and ran slower (docs/reliability.md#memory-bounds).
  maxBufferedBytes: 8 * 1024 * 1024,
  eventsStartFrom: 'earliest',
  deduplicationWindow: DEDUPLICATION_WINDOW,
  // Ten minutes: an instance's inbox is gone within about a quarter of an hour of its crash,
  // while a live one heartbeats every two minutes — far from any pause a process survives.
  inboxIdleMs: 600_000,
  // Five runs over about three seconds: long enough for a restarting dependency's blip, short
  // enough that a key's later events do not wait long behind one that will not succeed.
  eventRetries: Object.freeze({ maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 10_000 }),
  compression: 'none',
  envelope: 'packed',
  // Four full records of the item chunker: on the stream bench a window this wide keeps a fast
  // reader at roughly 75–95% of its speed without flow control (1,024 halved it: the responder
  // waited a credit's round trip every 512 items), while a slow reader holds at most 4,096 items.
  streamWindow: 4_096,
  codec: jsonCodec,
})

/** Settings that may be given in code, a config file or the environment. */
export type PolicyInput = Partial<Omit<Policy, 'retentionMs' | 'eventRetries'>> & { readonly retentionMs?: Partial<Policy['retentionMs']>; readonly eventRetries?: Partial<Policy['eventRetries']> }

/**
 * A complete, checked, frozen policy from partial settings over the defaults.
 *
 * @example
 * ```ts
 * const policy = definePolicy({ prefix: 'airline', partitions: 12, timeoutMs: 2_000 })
 * ```
 */
export function definePolicy(input: PolicyInput = {}): Policy {
  const policy: Policy = {
    ...defaultPolicy,
    ...input,
    retentionMs: Object.freeze({ ...defaultPolicy.retentionMs, ...input.retentionMs }),
    eventRetries: Object.freeze({ ...defaultPolicy.eventRetries, ...input.eventRetries }),
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$/.test(policy.prefix)) invalid(`prefix ${JSON.stringify(policy.prefix)} must be letters, digits, '.', '_' or '-' (at most 100)`)
  positiveInteger('partitions', policy.partitions)
  if (policy.replication !== -1) positiveInteger('replication', policy.replication)
  positiveInteger('timeoutMs', policy.timeoutMs)
  positiveInteger('maxTimeoutMs', policy.maxTimeoutMs)
  if (policy.maxTimeoutMs > maxTimerMs) invalid(`maxTimeoutMs must be at most ${maxTimerMs} (the longest a timer can wait), got ${policy.maxTimeoutMs}`)
  if (policy.timeoutMs > policy.maxTimeoutMs) invalid(`timeoutMs (${policy.timeoutMs}) must not exceed maxTimeoutMs (${policy.maxTimeoutMs})`)
  positiveInteger('maxMessageBytes', policy.maxMessageBytes)
  positiveInteger('maxInFlight', policy.maxInFlight)
  positiveInteger('maxBufferedBytes', policy.maxBufferedBytes)
  if (policy.maxBufferedBytes < policy.maxMessageBytes) invalid(`maxBufferedBytes (${policy.maxBufferedBytes}) must be at least maxMessageBytes (${policy.maxMessageBytes}), so that any record fits`)
  if (!Number.isInteger(policy.deduplicationWindow) || policy.deduplicationWindow < 0) invalid(`deduplicationWindow must be 0 or a positive integer, got ${JSON.stringify(policy.deduplicationWindow)}`)
  if (!Number.isInteger(policy.inboxIdleMs) || (policy.inboxIdleMs !== 0 && policy.inboxIdleMs < 1_000)) invalid(`inboxIdleMs must be 0 (off) or at least 1000 ms, got ${JSON.stringify(policy.inboxIdleMs)}`)
  for (const [kind, ms] of Object.entries(policy.retentionMs)) positiveInteger(`retentionMs.${kind}`, ms)
  positiveInteger('eventRetries.maxAttempts', policy.eventRetries.maxAttempts)
  positiveInteger('eventRetries.initialDelayMs', policy.eventRetries.initialDelayMs)
  positiveInteger('eventRetries.maxDelayMs', policy.eventRetries.maxDelayMs)
  if (policy.eventRetries.maxDelayMs > maxTimerMs) invalid(`eventRetries.maxDelayMs must be at most ${maxTimerMs}`)
  // Config files and the environment are untyped: check what the type cannot promise.
  const startFrom: string = policy.eventsStartFrom
  if (startFrom !== 'earliest' && startFrom !== 'latest') invalid(`eventsStartFrom must be "earliest" or "latest"`)
  if (!Number.isInteger(policy.streamWindow) || policy.streamWindow < 0 || policy.streamWindow > maxStreamWindow) invalid(`streamWindow must be 0 (off) or a positive integer up to ${maxStreamWindow}, got ${JSON.stringify(policy.streamWindow)}`)
  if (!envelopeForms.includes(policy.envelope)) invalid(`envelope must be one of ${envelopeForms.join(', ')}, got ${JSON.stringify(policy.envelope)}`)
  if (!compressions.includes(policy.compression)) invalid(`compression must be one of ${compressions.join(', ')}, got ${JSON.stringify(policy.compression)}`)
  return Object.freeze(policy)
}

/**
 * The policy from a JSON config file and the environment, over `base`. The file is
 * `options.file`, else $KAFKA_IPC_CONFIG; environment variables override it:
 * KIPC_PREFIX, KIPC_PARTITIONS, KIPC_REPLICATION, KIPC_TIMEOUT_MS, KIPC_MAX_TIMEOUT_MS, KIPC_AUTO_CREATE_TOPICS,
 * KIPC_MAX_MESSAGE_BYTES, KIPC_EXPOSE_ERROR_STACK, KIPC_VALIDATE_REPLIES, KIPC_MAX_IN_FLIGHT,
 * KIPC_MAX_BUFFERED_BYTES, KIPC_EVENTS_START_FROM, KIPC_COMPRESSION, KIPC_DEDUPLICATION_WINDOW, KIPC_INBOX_IDLE_MS, KIPC_STREAM_WINDOW, KIPC_EVENT_MAX_ATTEMPTS
 * (eventRetries.maxAttempts).
 *
 * @example
 * ```ts
 * // kafka-ipc.json: { "prefix": "airline", "timeoutMs": 2000 }
 * const policy = loadPolicy({ file: 'kafka-ipc.json' })
 * ```
 */
export function loadPolicy(options: { readonly file?: string; readonly env?: Environment; readonly base?: PolicyInput } = {}): Policy {
  const env = options.env ?? process.env
  const file = options.file ?? env['KAFKA_IPC_CONFIG']
  const fromFile = file === undefined || file === '' ? {} : readConfigFile(file)
  const fromEnv: Record<string, unknown> = {}
  const text = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name])
  const number = (name: string): number | undefined => {
    const value = text(name)
    if (value === undefined) return undefined
    if (!/^-?\d+$/.test(value)) invalid(`${name} must be an integer, got ${JSON.stringify(value)}`)
    return Number(value)
  }
  const flag = (name: string): boolean | undefined => {
    const value = text(name)
    if (value === undefined) return undefined
    if (value !== 'true' && value !== 'false') invalid(`${name} must be true or false, got ${JSON.stringify(value)}`)
    return value === 'true'
  }
  const settings: [string, unknown][] = [
    ['prefix', text('KIPC_PREFIX')],
    ['partitions', number('KIPC_PARTITIONS')],
    ['replication', number('KIPC_REPLICATION')],
    ['timeoutMs', number('KIPC_TIMEOUT_MS')],
    ['maxTimeoutMs', number('KIPC_MAX_TIMEOUT_MS')],
    ['autoCreateTopics', flag('KIPC_AUTO_CREATE_TOPICS')],
    ['maxMessageBytes', number('KIPC_MAX_MESSAGE_BYTES')],
    ['exposeErrorStack', flag('KIPC_EXPOSE_ERROR_STACK')],
    ['validateReplies', flag('KIPC_VALIDATE_REPLIES')],
    ['maxInFlight', number('KIPC_MAX_IN_FLIGHT')],
    ['maxBufferedBytes', number('KIPC_MAX_BUFFERED_BYTES')],
    ['eventsStartFrom', text('KIPC_EVENTS_START_FROM')],
    ['compression', text('KIPC_COMPRESSION')],
    ['envelope', text('KIPC_ENVELOPE')],
    ['deduplicationWindow', number('KIPC_DEDUPLICATION_WINDOW')],
    ['inboxIdleMs', number('KIPC_INBOX_IDLE_MS')],
    ['streamWindow', number('KIPC_STREAM_WINDOW')],
  ]
  for (const [key, value] of settings) if (value !== undefined) fromEnv[key] = value
  const maxAttempts = number('KIPC_EVENT_MAX_ATTEMPTS')
  if (maxAttempts !== undefined) fromEnv['eventRetries'] = { ...options.base?.eventRetries, ...fromFile.eventRetries, maxAttempts }
  return definePolicy({ ...options.base, ...fromFile, ...(fromEnv as PolicyInput) })
}

// Every setting but the codec, which only code can give.
const fileKeys = new Set(Object.keys(defaultPolicy).filter((key) => key !== 'codec'))

function readConfigFile(file: string): PolicyInput {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new KafkaIpcError('KIPC_INVALID_POLICY', `Cannot read the kafka-ipc config file ${file}: ${(error as Error).message}`, { cause: error })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) invalid(`${file} must hold a JSON object`)
  for (const key of Object.keys(parsed)) if (!fileKeys.has(key)) invalid(`${file} has an unknown setting "${key}" (known: ${[...fileKeys].join(', ')})`)
  return parsed
}

function positiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) invalid(`${name} must be a positive integer, got ${JSON.stringify(value)}`)
}

function invalid(message: string): never {
  throw new KafkaIpcError('KIPC_INVALID_POLICY', `Invalid kafka-ipc policy: ${message}.`)
}
