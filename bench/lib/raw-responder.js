// The tuned raw @platformatic/kafka responder (bench/lib/raw-tuned.ts): plain JavaScript so that a
// child process (bench/lib/responder-process.js) runs it without a TypeScript loader, as the
// kafka-ipc responder runs from the built package. It answers each request with its own value and
// headers (the correlation id) on the one reply topic, batching its sends naturally: one produce
// in flight, whatever arrives meanwhile goes in the next.
import { setTimeout } from 'node:timers/promises'
import { Consumer, Producer } from '@platformatic/kafka'

/**
 * Starts the responder: a consumer group on `requests`, replies to `replies`. Resolves once it
 * holds all `partitions` partitions.
 *
 * @param {readonly string[]} brokers
 * @param {string} requests
 * @param {string} replies
 * @param {number} partitions
 * @returns {Promise<{ close(): Promise<void> }>}
 */
export async function startRawResponder(brokers, requests, replies, partitions) {
  const producer = new Producer({ clientId: 'raw-tuned-responder', bootstrapBrokers: [...brokers], acks: -1, idempotent: true })
  /** @type {import('@platformatic/kafka').MessageToProduce[]} */
  let queue = []
  let flushing = false
  const flush = async () => {
    flushing = true
    while (queue.length > 0) {
      const messages = queue
      queue = []
      await producer.send({ messages }).catch(() => undefined)
    }
    flushing = false
  }
  const consumer = new Consumer({ clientId: 'raw-tuned-responder', groupId: `${requests}-responder`, bootstrapBrokers: [...brokers], maxWaitTime: 500, minBytes: 1 })
  const stream = await consumer.consume({ topics: [requests], mode: 'latest' })
  stream.on('data', (message) => {
    queue.push({ topic: replies, value: message.value, headers: message.headers })
    if (!flushing) {
      // As kafka-ipc's SendBatcher: started once the code running now is done, so the replies to one fetch leave together.
      flushing = true
      globalThis.queueMicrotask(() => void flush())
    }
  })
  const deadline = Date.now() + 60_000
  while ((consumer.assignments ?? []).reduce((sum, assignment) => sum + assignment.partitions.length, 0) < partitions) {
    if (Date.now() > deadline) throw new Error(`the raw responder holds too few partitions of ${requests} after 60 s`)
    await setTimeout(50)
  }
  return {
    async close() {
      await stream.close()
      await Promise.all([consumer.close(true), producer.close()])
    },
  }
}
