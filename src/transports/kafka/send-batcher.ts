import { backoff } from '../../core/backoff.ts'
import { BusyTicker } from '../../core/busy-ticker.ts'
import type { Compression, EnvelopeForm } from '../../core/policy.ts'
import { PromisedSend } from '../../core/promised-send.ts'
import type { OutgoingMessage, SendReceipt } from '../../core/transport.ts'
import { type ProduceBatch, takeProduceBatch } from './produce-batch.ts'

/**
 * One send waiting in a lane or riding a produce: settled once, by its produce or its deadline,
 * and told to its receipt. A class, not a literal: a send waits for its produce's
 * acknowledgement, past young-generation collections under load, and V8 would allocate a
 * literal's later objects in the old generation (core/protocol/outgoing-record.ts).
 */
class Queued {
  readonly messages: readonly OutgoingMessage[]
  /** Epoch ms: tried again through failures until then, and failed if still unacknowledged then. */
  readonly until: number | undefined
  readonly receipt: SendReceipt
  settled = false

  constructor(messages: readonly OutgoingMessage[], until: number | undefined, receipt: SendReceipt) {
    this.messages = messages
    this.until = until
    this.receipt = receipt
  }
}

/** The sends of one topic (and compression and envelope form): one produce in flight, the rest waiting for the next. */
interface Lane {
  readonly topic: string
  readonly compression: Compression
  readonly envelope: EnvelopeForm
  queue: Queued[]
  /** The sends the produce in flight carries. */
  riding: readonly Queued[]
  flushing: boolean
  /** Produces in a row that failed and were tried again: the backoff grows with them. */
  failures: number
}

/** What the batcher asks of its transport besides the produce itself. */
export interface SendBatcherOptions {
  /** Whether a failed produce may succeed when tried again (a leader election, a dead connection). */
  readonly mayRetry: (error: unknown) => boolean
  /** True once the transport closed: nothing is tried again. */
  readonly closed: () => boolean
  /** The error for a send still unacknowledged at its deadline (it may still land: at-least-once). */
  readonly expired: (messages: readonly OutgoingMessage[]) => Error
  /** How often deadlines are checked (ms): a send fails at most this late. */
  readonly tickMs?: number
  /**
   * The partition a record goes to, decided when its produce is put together — or undefined when
   * the producer decides (a keyed record, a topic whose partitions are not known yet). What each
   * partition is sent at once stays under `maxPartitionBytes` (produce-batch.ts); records the producer places
   * count together, as though they all went to one partition. Default: the record's own partition.
   */
  readonly place?: (message: OutgoingMessage) => number | undefined
}

/**
 * Natural batching for the producer: per topic, one produce round trip in flight at a time, and
 * every send to that topic that arrives meanwhile joins the next one. An idle lane produces as
 * soon as the code running now is done (a microtask, no timer), so the sends made in one go —
 * the answers to one fetched batch of requests, the calls that the replies of one fetch let go —
 * leave together rather than the first alone and the rest a round trip later: no linger delay,
 * and at concurrency 64 a third of the produce requests (docs/performance.md). Topics do not
 * wait for each other, so a produce held up by a leader election on one topic (the client
 * retries it) delays nothing sent to others, and a topic that fails (an inbox deleted by a
 * caller that shut down) fails only the sends aimed at it.
 *
 * A send with a deadline (`until`) is tried again through retryable failures — the lane backs
 * off, then produces it again with whatever else waits — and fails with `expired()` once its
 * deadline passes unacknowledged. One shared timer watches every deadline: requests and replies
 * all carry one, and a timer or a promise chain per send costs more, at tens of thousands of
 * sends a second, than the send's own bookkeeping. A send is told its outcome once, by the lane:
 * through its promise ({@link send}) or its receipt ({@link sendAndTell}).
 *
 * @example
 * ```ts
 * const batcher = new SendBatcher(produce, { mayRetry: isRetryableKafkaError, closed: () => closed, expired: (messages) => new Error('too late') })
 * await batcher.send([message], 'none', 'packed', Date.now() + 30_000)
 * ```
 */
export class SendBatcher {
  readonly #produce: (batch: ProduceBatch, compression: Compression, envelope: EnvelopeForm) => Promise<void>
  readonly #options: SendBatcherOptions
  readonly #place: (message: OutgoingMessage) => number | undefined
  readonly #lanes = new Map<string, Lane>()
  readonly #deadlines: BusyTicker

  constructor(produce: (batch: ProduceBatch, compression: Compression, envelope: EnvelopeForm) => Promise<void>, options: SendBatcherOptions) {
    this.#produce = produce
    this.#options = options
    this.#place = options.place ?? ((message) => message.partition)
    this.#deadlines = new BusyTicker(options.tickMs ?? 50, () => this.#expire())
  }

  /** Sends `messages` with the next produce of their topic's lane; with `until`, tried again through failures until then. */
  send(messages: readonly OutgoingMessage[], compression: Compression = 'none', envelope: EnvelopeForm = 'packed', until?: number): Promise<undefined> {
    const { promise, resolve, reject } = Promise.withResolvers<undefined>()
    this.sendAndTell(messages, compression, envelope, until, new PromisedSend(resolve, reject))
    return promise
  }

  /**
   * {@link send}, its outcome told to `receipt` — once, after this call returns — instead of a
   * promise: what waits for the send is told without a promise and its reactions per send.
   */
  sendAndTell(messages: readonly OutgoingMessage[], compression: Compression, envelope: EnvelopeForm, until: number | undefined, receipt: SendReceipt): void {
    // A multi-topic send goes under its first topic; kafka-ipc's own sends name one topic.
    const topic = messages[0]?.topic ?? ''
    // Looked up by the topic itself: no key string built for every send. A fleet's policy gives one
    // compression and envelope form, so the key is almost always the lane; another form gets its own.
    let key = topic
    let lane = this.#lanes.get(topic)
    if (lane === undefined || lane.compression !== compression || lane.envelope !== envelope) {
      // No lane under the topic, or one of another form: a lane of this form may wait under its
      // full key (a topic name never holds \0), and must be found, so that one form's sends to a
      // topic keep one lane and their order.
      const formKey = `${compression}\0${envelope}\0${topic}`
      const ofThisForm = this.#lanes.get(formKey)
      if (ofThisForm !== undefined || lane !== undefined) {
        key = formKey
        lane = ofThisForm
      }
    }
    if (lane === undefined) {
      lane = { topic, compression, envelope, queue: [], riding: [], flushing: false, failures: 0 }
      this.#lanes.set(key, lane)
    }
    lane.queue.push(new Queued(messages, until, receipt))
    if (until !== undefined) this.#deadlines.start()
    if (!lane.flushing) {
      lane.flushing = true
      // Started once the code running now is done: the sends it makes in one go — the answers to a
      // fetched batch of requests, the calls that the replies of one fetch let go — leave in one
      // produce, not the first alone and the rest in the next.
      queueMicrotask(() => void this.#flush(key, lane))
    }
  }

  async #flush(key: string, lane: Lane): Promise<void> {
    lane.flushing = true
    while (lane.queue.length > 0) {
      const { batch, produce } = takeProduceBatch(lane.queue, this.#place)
      if (batch.length === 0) continue
      lane.riding = batch
      let failure: unknown
      let failed = false
      try {
        await this.#produce(produce, lane.compression, lane.envelope)
      } catch (error) {
        failed = true
        failure = error
      }
      lane.riding = []
      if (!failed) {
        lane.failures = 0
        for (const queued of batch) acknowledge(queued)
        continue
      }
      const again = this.#toTryAgain(batch, failure)
      if (again.length === 0) continue
      // Tried again first, ahead of what arrived meanwhile, so the lane keeps its order.
      lane.queue.unshift(...again)
      await backoff(lane.failures++, undefined, 100, Math.max(0, Math.min(1_000, earliest(again) - Date.now())))
      if (this.#options.closed()) for (const queued of again) fail(queued, failure)
    }
    lane.flushing = false
    // An idle lane is dropped, so a fleet's churn of inbox topics leaves nothing behind.
    this.#lanes.delete(key)
  }

  /** The sends of a failed produce that may be tried again (retryable, before their deadline); the rest fail with `error`. */
  #toTryAgain(batch: readonly Queued[], error: unknown): Queued[] {
    const retryable = !this.#options.closed() && this.#options.mayRetry(error)
    const now = Date.now()
    const again: Queued[] = []
    for (const queued of batch) {
      if (queued.settled) continue
      if (retryable && queued.until !== undefined && now < queued.until) again.push(queued)
      else fail(queued, error)
    }
    return again
  }

  /** Fails every send past its deadline; false once no send with a deadline is left, which stops the watch. */
  #expire(): boolean {
    const now = Date.now()
    let watching = false
    for (const lane of this.#lanes.values()) {
      for (const queued of lane.riding) watching = this.#expireIfLate(queued, now) || watching
      for (const queued of lane.queue) watching = this.#expireIfLate(queued, now) || watching
    }
    return watching
  }

  /** Fails `queued` when its deadline passed; true while it is still watched. */
  #expireIfLate(queued: Queued, now: number): boolean {
    if (queued.settled || queued.until === undefined) return false
    if (queued.until > now) return true
    fail(queued, this.#options.expired(queued.messages))
    return false
  }
}

/** Settles a send as acknowledged, unless it was settled before (by its deadline). */
function acknowledge(queued: Queued): void {
  if (queued.settled) return
  queued.settled = true
  tell(queued.receipt, undefined, false)
}

/** Fails a send with `error`, unless it was settled before. */
function fail(queued: Queued, error: unknown): void {
  if (queued.settled) return
  queued.settled = true
  tell(queued.receipt, error, true)
}

/**
 * Tells a receipt how its send ended. A receipt that throws is a bug in what waits for the send;
 * it is thrown again a turn later — as a promise reaction's would surface, unhandled — rather than
 * stop the lane that is telling the other sends of its produce.
 */
function tell(receipt: SendReceipt, error: unknown, failed: boolean): void {
  try {
    if (failed) receipt.unsent(error)
    else receipt.sent()
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown
    })
  }
}

/** The earliest deadline among sends that all have one. */
function earliest(sends: readonly Queued[]): number {
  let soonest = Number.POSITIVE_INFINITY
  for (const queued of sends) soonest = Math.min(soonest, queued.until ?? Number.POSITIVE_INFINITY)
  return soonest
}
