// What one produce request carries: the sends waiting in a lane of the send batcher, taken in
// order while each partition's record batch stays under the broker's limit, their records placed
// on partitions as they are taken.
import type { OutgoingMessage } from '../../core/transport.ts'
import { recordBytes } from '../record-bytes.ts'

/**
 * The most record bytes (values, keys, headers) of one partition that one produce request
 * gathers from several sends: under the broker's default `message.max.bytes` (1 MiB), which bounds
 * a partition's record batch, so sends merged together are never refused for a size none of them
 * had alone — and a reader never has to inflate a merged batch past its bound. A single send
 * larger than this goes alone.
 */
export const maxPartitionBytes = 900 * 1024

/**
 * The most record bytes one produce request gathers from several sends, over all its partitions:
 * 1,000 events of 1 KiB in flight, spread over a topic's partitions, leave in one request rather
 * than in two, the second waiting for the first. With zstd that cut the CPU per event from 34.5 to
 * 29.0 µs (larger batches compress in fewer, cheaper passes); uncompressed it changed nothing
 * measurable (docs/performance.md).
 */
export const maxProduceBytes = 8 * 1024 * 1024

/** The records of one produce, in order, and the partition each was placed on (undefined: the producer places it). */
export interface ProduceBatch {
  readonly messages: readonly OutgoingMessage[]
  readonly partitions: readonly (number | undefined)[]
}

/** A send waiting for a produce, as {@link takeProduceBatch} sees it. */
export interface WaitingSend {
  readonly messages: readonly OutgoingMessage[]
  /** Settled already (by its deadline): skipped. */
  readonly settled: boolean
}

/**
 * Takes the unsettled sends at the head of `queue` that fit one produce — no partition past
 * {@link maxPartitionBytes}, the whole within {@link maxProduceBytes} — at least one when any is
 * left, and their records placed on their partitions by `place` (a record it leaves undefined,
 * the producer places: those count together, as though they went to one partition). The sends
 * taken, settled ones too, leave the queue; `batch` is those still unsettled.
 *
 * @example
 * ```ts
 * const { batch, produce } = takeProduceBatch(lane.queue, (message) => message.partition)
 * await producer.send(produce)
 * ```
 */
export function takeProduceBatch<Send extends WaitingSend>(queue: Send[], place: (message: OutgoingMessage) => number | undefined): { batch: Send[]; produce: ProduceBatch } {
  const filled = new PartitionBytes()
  const messages: OutgoingMessage[] = []
  const partitions: (number | undefined)[] = []
  const sizes: number[] = []
  let total = 0
  let count = 0
  let taken = 0
  for (const queued of queue) {
    if (!queued.settled) {
      const start = messages.length
      let bytes = 0
      for (const message of queued.messages) {
        const size = recordBytes(message)
        messages.push(message)
        partitions.push(place(message))
        sizes.push(size)
        bytes += size
      }
      const within = filled.add(messages, partitions, sizes, start, 1)
      // The first send goes whatever its size; a later one goes whole, or is taken back to wait for the next produce.
      if (count > 0 && (!within || total + bytes > maxProduceBytes)) {
        filled.add(messages, partitions, sizes, start, -1)
        messages.length = start
        partitions.length = start
        sizes.length = start
        break
      }
      total += bytes
      count++
    }
    taken++
  }
  const head = queue.splice(0, taken)
  return { batch: count === taken ? head : head.filter((queued) => !queued.settled), produce: { messages, partitions } }
}

/**
 * Bytes per partition of one produce being put together, by topic: records the producer places
 * (partition undefined) count together in one more slot.
 */
class PartitionBytes {
  readonly #byTopic = new Map<string, number[]>()

  /** Adds (`sign` 1) or takes back (-1) the records from `start` on; true while every partition they touch stays within {@link maxPartitionBytes}. */
  add(messages: readonly OutgoingMessage[], partitions: readonly (number | undefined)[], sizes: readonly number[], start: number, sign: 1 | -1): boolean {
    let within = true
    for (let index = start; index < messages.length; index++) {
      const slots = this.#slots((messages[index] as OutgoingMessage).topic)
      const slot = slotOf(partitions[index])
      const filled = (slots[slot] ?? 0) + sign * (sizes[index] ?? 0)
      slots[slot] = filled
      if (filled > maxPartitionBytes) within = false
    }
    return within
  }

  #slots(topic: string): number[] {
    let slots = this.#byTopic.get(topic)
    if (slots === undefined) {
      slots = []
      this.#byTopic.set(topic, slots)
    }
    return slots
  }
}

/** A partition's slot in {@link PartitionBytes}: 0 for records the producer places, partition + 1 otherwise. */
function slotOf(partition: number | undefined): number {
  return partition === undefined ? 0 : partition + 1
}
