// The tuned raw @platformatic/kafka responder (bench/lib/raw-tuned.ts): plain JavaScript so that a
// child process (bench/lib/responder-process.js) runs it without a TypeScript loader, as the
// kafka-ipc responder runs from the built package. It answers each request with its own value and
// headers (the correlation id) on the one reply topic, batching its sends naturally: one produce
// in flight, whatever arrives meanwhile goes in the next.
//
// With `envelope: 'header-and-json'` it does the least kafka-ipc must do for every request by its
// design — and nothing else: read the request's packed `kipc` envelope header (its id and
// reply-to), JSON-parse the body and JSON-stringify the reply (a validating responder must read
// the body), and send the reply with a packed `kipc` envelope of its own (kind, a new id, the
// correlation, status and service: docs/protocol.md §2). No validation, routing, deduplication,
// deadline or commit bookkeeping: the floor any layer with kafka-ipc's wire format stands on with
// this client library. With `envelope: 'header'` it reads and writes the same headers but echoes
// the body's bytes: what the envelope header alone costs.
import { Buffer } from 'node:buffer'
import { setTimeout } from 'node:timers/promises'
import { Consumer, Producer } from '@platformatic/kafka'

/** The packed envelope's header name (docs/protocol.md §2). */
export const envelopeHeader = Buffer.from('kipc')

/**
 * A field of a packed envelope as plain text, found by its name — the least parsing a reader can
 * do (no escapes: the bench's ids, topics and paths have none).
 *
 * @param {string} packed
 * @param {string} name
 * @returns {string | undefined}
 */
export function packedField(packed, name) {
  const at = packed.startsWith(`${name}=`) ? 0 : packed.indexOf(`;${name}=`)
  if (at === -1) return undefined
  const start = at === 0 ? name.length + 1 : at + name.length + 2
  const end = packed.indexOf(';', start)
  return packed.slice(start, end === -1 ? packed.length : end)
}

/**
 * The text of the packed envelope among one record's headers, or undefined when it has none.
 *
 * @param {Map<Buffer, Buffer> | undefined} headers
 * @returns {string | undefined}
 */
export function envelopeOf(headers) {
  if (headers === undefined) return undefined
  for (const [name, value] of headers) if (name.equals(envelopeHeader)) return value.toString()
  return undefined
}

/**
 * Starts the responder: a consumer group on `requests`, replies to `replies`. Resolves once it
 * holds all `partitions` partitions.
 *
 * @param {readonly string[]} brokers
 * @param {string} requests
 * @param {string} replies
 * @param {number} partitions
 * @param {{ envelope?: 'header' | 'header-and-json' }} [options]
 * @returns {Promise<{ close(): Promise<void> }>}
 */
export async function startRawResponder(brokers, requests, replies, partitions, options = {}) {
  const envelope = options.envelope !== undefined
  const json = options.envelope === 'header-and-json'
  let repliesSent = 0
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
    if (envelope) {
      const packed = envelopeOf(message.headers)
      const id = packed === undefined ? undefined : packedField(packed, 'id')
      const to = packed === undefined ? undefined : packedField(packed, 'reply-to')
      if (id === undefined || to === undefined) return
      const value = json ? Buffer.from(JSON.stringify(JSON.parse(message.value.toString()))) : message.value
      // A new id per reply, as kafka-ipc gives every record one: here a counter padded to its length.
      const reply = `v=1;kind=reply;id=${String(repliesSent++).padStart(22, '0')};correlation=${id};status=200;service=bench`
      queue.push({ topic: to, value, headers: new Map([[envelopeHeader, Buffer.from(reply)]]) })
    } else {
      queue.push({ topic: replies, value: message.value, headers: message.headers })
    }
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
