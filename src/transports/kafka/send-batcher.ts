import type { Compression, EnvelopeForm } from '../../core/policy.ts'
import type { OutgoingMessage } from '../../core/transport.ts'
import { recordBytes } from '../record-bytes.ts'

interface Queued {
  readonly messages: readonly OutgoingMessage[]
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/**
 * The most record bytes (values, keys, headers) one produce request gathers from several sends:
 * under the broker's default `message.max.bytes` (1 MiB), which bounds a partition's record batch,
 * so sends merged together are never refused for a size none of them had alone — and a reader
 * never has to inflate a merged batch past its bound. A single send larger than this goes alone.
 */
export const maxMergedBytes = 900 * 1024

/** The sends of one topic (and compression and envelope form): one produce in flight, the rest waiting for the next. */
interface Lane {
  readonly topic: string
  readonly compression: Compression
  readonly envelope: EnvelopeForm
  queue: Queued[]
  flushing: boolean
}

/**
 * Natural batching for the producer: per topic, one produce round trip in flight at a time, and
 * every send to that topic that arrives meanwhile joins the next one. An idle caller pays no
 * linger delay; a busy one gets large batches. Topics do not wait for each other, so a produce
 * held up by a leader election on one topic (the client retries it) delays nothing sent to
 * others, and a topic that fails (an inbox deleted by a caller that shut down) fails only the
 * sends aimed at it.
 */
export class SendBatcher {
  readonly #produce: (messages: readonly OutgoingMessage[], compression: Compression, envelope: EnvelopeForm) => Promise<void>
  readonly #lanes = new Map<string, Lane>()

  constructor(produce: (messages: readonly OutgoingMessage[], compression: Compression, envelope: EnvelopeForm) => Promise<void>) {
    this.#produce = produce
  }

  send(messages: readonly OutgoingMessage[], compression: Compression = 'none', envelope: EnvelopeForm = 'packed'): Promise<void> {
    // A multi-topic send goes under its first topic; kafka-ipc's own sends name one topic.
    const topic = messages[0]?.topic ?? ''
    const key = `${compression}\0${envelope}\0${topic}`
    let lane = this.#lanes.get(key)
    if (lane === undefined) {
      lane = { topic, compression, envelope, queue: [], flushing: false }
      this.#lanes.set(key, lane)
    }
    const target = lane
    return new Promise((resolve, reject) => {
      target.queue.push({ messages, resolve, reject })
      if (!target.flushing) void this.#flush(key, target)
    })
  }

  async #flush(key: string, lane: Lane): Promise<void> {
    lane.flushing = true
    while (lane.queue.length > 0) {
      const batch = takeUpTo(lane, maxMergedBytes)
      try {
        await this.#produce(
          batch.flatMap((queued) => queued.messages),
          lane.compression,
          lane.envelope,
        )
        for (const queued of batch) queued.resolve()
      } catch (error) {
        for (const queued of batch) queued.reject(error)
      }
    }
    lane.flushing = false
    // An idle lane is dropped, so a fleet's churn of inbox topics leaves nothing behind.
    this.#lanes.delete(key)
  }
}

/** The sends at the head of the lane's queue that fit `limit` bytes together — at least one. */
function takeUpTo(lane: Lane, limit: number): Queued[] {
  let bytes = 0
  let count = 0
  for (const queued of lane.queue) {
    const size = sendBytes(queued.messages)
    if (count > 0 && bytes + size > limit) break
    bytes += size
    count++
  }
  return lane.queue.splice(0, count)
}

/** The bytes a send's records carry (recordBytes of each). */
function sendBytes(messages: readonly OutgoingMessage[]): number {
  let bytes = 0
  for (const message of messages) bytes += recordBytes(message)
  return bytes
}
