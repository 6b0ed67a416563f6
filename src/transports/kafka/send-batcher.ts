import type { Compression } from '../../core/policy.ts'
import type { OutgoingMessage } from '../../core/transport.ts'

interface Queued {
  readonly messages: readonly OutgoingMessage[]
  readonly compression: Compression
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/**
 * Natural batching for the producer: one produce round trip in flight at a time, and every send
 * that arrives meanwhile joins the next one. An idle caller pays no linger delay; a busy one gets
 * large batches. Each flush sends one request per topic (and compression), so a topic that fails
 * (an inbox deleted by a caller that shut down) fails only the sends aimed at it.
 */
export class SendBatcher {
  readonly #produce: (messages: readonly OutgoingMessage[], compression: Compression) => Promise<void>
  #queue: Queued[] = []
  #flushing = false

  constructor(produce: (messages: readonly OutgoingMessage[], compression: Compression) => Promise<void>) {
    this.#produce = produce
  }

  send(messages: readonly OutgoingMessage[], compression: Compression = 'none'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ messages, compression, resolve, reject })
      if (!this.#flushing) void this.#flush()
    })
  }

  async #flush(): Promise<void> {
    this.#flushing = true
    while (this.#queue.length > 0) {
      const batch = this.#queue
      this.#queue = []
      const byTopic = new Map<string, Queued[]>()
      for (const queued of batch) {
        // A multi-topic send goes under its first topic; kafka-ipc's own sends name one topic.
        const key = `${queued.compression}\0${queued.messages[0]?.topic ?? ''}`
        const group = byTopic.get(key)
        if (group === undefined) byTopic.set(key, [queued])
        else group.push(queued)
      }
      await Promise.all(
        [...byTopic.values()].map(async (group) => {
          try {
            await this.#produce(group.flatMap((queued) => queued.messages), group[0]?.compression ?? 'none')
            for (const queued of group) queued.resolve()
          } catch (error) {
            for (const queued of group) queued.reject(error)
          }
        }),
      )
    }
    this.#flushing = false
  }
}
