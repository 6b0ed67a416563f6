// The tuned raw @platformatic/kafka request-reply — our limit: the fastest round trip the client
// allows with a little expert code and none of kafka-ipc's envelope, validation or routing. The
// same acks=-1 idempotent producers and the same ~100-byte JSON as kafka-ipc; what it saves:
// - natural batching of sends on both sides (one produce in flight, the rest join the next one);
// - the caller reads its 1-partition reply topic with plain Fetch requests from the latest offset,
//   without a consumer group (no join, no heartbeats, no commits), as kafka-ipc's inbox does;
// - Buffers end to end (no serializers) and one header, the correlation id, echoed untouched;
// - the responder knows the single caller's reply topic, so no reply-to header either.
// With `envelope: 'header-and-json'`, both sides carry kafka-ipc's packed envelope header in place
// of the correlation header and the responder JSON-parses and -stringifies each body
// (raw-responder.js): what kafka-ipc's design asks of every call before any of its own code runs.
// With `envelope: 'header'`, the same headers and the body's bytes echoed: the header's share.
import { Admin, Consumer, type MessageToProduce, Producer } from '@platformatic/kafka'
import { envelopeHeader, packedField, startRawResponder } from './raw-responder.js'
import { randomUUID } from 'node:crypto'
import { naturalBatches } from './natural-batches.ts'
import { log } from './run-env.ts'
import { payload, type System } from './systems.ts'

const partitions = 6
const correlationHeader = Buffer.from('correlation')
/** A record batch with this attribute bit holds transaction markers, not records. */
const controlBatch = 0x20

/**
 * What of kafka-ipc's wire format a tuned raw pair carries: its envelope header on every request
 * and reply (`'header'`), and also the responder's JSON parse and stringify of each body
 * (`'header-and-json'`, the floor).
 */
export type RawEnvelope = 'header' | 'header-and-json'

export async function startRawTuned(brokers: string[], options: { readonly envelope?: RawEnvelope } = {}): Promise<System> {
  const id = randomUUID().slice(0, 8)
  const topics = await createRawTopics(brokers, `raw-tuned-${id}`)
  const { requests, replies } = topics
  const envelope = options.envelope
  const responder = await startRawResponder(brokers, requests, replies, partitions, envelope === undefined ? {} : { envelope })
  const caller = await startRawCaller(brokers, requests, replies, { envelope: envelope !== undefined })
  return {
    name: envelope === 'header-and-json' ? `raw @platformatic/kafka, tuned, with kafka-ipc's envelope and JSON` : envelope === 'header' ? `raw @platformatic/kafka, tuned, with kafka-ipc's envelope header` : 'raw @platformatic/kafka, tuned',
    call: (index) => caller.call(index),
    async stop() {
      await caller.stop()
      await responder.close()
      await topics.removeTopics()
    },
  }
}

/** The request topic (6 partitions) and the one-partition reply topic of a tuned raw pair named `name`. */
export async function createRawTopics(brokers: readonly string[], name: string): Promise<{ requests: string; replies: string; removeTopics(): Promise<void> }> {
  const requests = `${name}-requests`
  const replies = `${name}-replies`
  const admin = new Admin({ clientId: 'raw-tuned-admin', bootstrapBrokers: [...brokers] })
  await admin.createTopics({ topics: [requests], partitions, replicas: -1 })
  await admin.createTopics({ topics: [replies], partitions: 1, replicas: -1 })
  return {
    requests,
    replies,
    async removeTopics() {
      await admin.deleteTopics({ topics: [requests, replies] }).catch(() => undefined)
      await admin.close()
    },
  }
}

/** Slots for waiting calls: far more than the bench ever has in flight (256), so a slot is free again long before its sequence comes round. */
const pendingSlots = 65_536

/**
 * The tuned raw caller: requests spread over the partitions with a correlation header, replies read
 * by {@link readReplies}. With `envelope`, each request carries a packed `kipc` envelope instead —
 * its id, the reply topic, a deadline, method, path and caller, as kafka-ipc writes one — and a
 * reply's correlation is read from the reply's envelope.
 */
export async function startRawCaller(brokers: readonly string[], requests: string, replies: string, options: { readonly envelope?: boolean } = {}): Promise<{ call(index: number): Promise<unknown>; stop(): Promise<void> }> {
  const producer = new Producer({ clientId: 'raw-tuned-caller', bootstrapBrokers: [...brokers], acks: -1, idempotent: true })
  const sendRequests = naturalBatches((messages: MessageToProduce[]) => producer.send({ messages }))
  // Waiting calls by their sequence number, in an array rather than a Map: a Map churned by
  // every call keeps finished calls alive into the old generation through its rehashed tables
  // (src/core/id-table.ts), which cost the reference run-to-run noise kafka-ipc no longer pays.
  const pending: (((value: Buffer) => void) | undefined)[] = new Array<((value: Buffer) => void) | undefined>(pendingSlots).fill(undefined)
  const envelope = options.envelope === true
  const correlationOf = envelope ? replyCorrelation : correlationHeaderOf
  const inbox = await readReplies([...brokers], replies, correlationOf, (correlation, value) => {
    const slot = Number(correlation) % pendingSlots
    const waiting = pending[slot]
    pending[slot] = undefined
    waiting?.(value)
  })
  let next = 0
  return {
    call: (index) =>
      new Promise((resolve, reject) => {
        const sequence = next++
        const correlation = envelope ? String(sequence).padStart(22, '0') : String(sequence)
        // A deadline, as any real caller has (kafka-ipc's are on too): a lost reply fails the run
        // instead of stalling it.
        const slot = sequence % pendingSlots
        const timer = setTimeout(() => {
          pending[slot] = undefined
          reject(new Error(`no reply to request ${correlation} within 30 s`))
        }, 30_000)
        pending[slot] = (value) => {
          clearTimeout(timer)
          resolve(JSON.parse(value.toString()))
        }
        const value = Buffer.from(JSON.stringify(payload(index)))
        const headers = envelope
          ? new Map([[envelopeHeader, Buffer.from(`v=1;kind=request;id=${correlation};reply-to=${replies};deadline=${Date.now() + 30_000};method=POST;path=/echo;service=bench-caller`)]])
          : new Map([[correlationHeader, Buffer.from(correlation)]])
        sendRequests([{ topic: requests, partition: sequence % partitions, value, headers }]).catch(reject)
      }),
    async stop() {
      await inbox.close()
      await producer.close()
    },
  }
}

/** A record's header pairs, as the Fetch response carries them. */
type HeaderPairs = readonly [Buffer | null, Buffer | null][]

/** The text of the header named `name` among `headers`, or undefined. */
function headerText(headers: HeaderPairs, name: Buffer): string | undefined {
  return headers.find(([found]) => found?.equals(name) === true)?.[1]?.toString()
}

/** A reply's correlation id, from its `correlation` header. */
function correlationHeaderOf(headers: HeaderPairs): string | undefined {
  return headerText(headers, correlationHeader)
}

/** A reply's correlation id, from its packed `kipc` envelope. */
function replyCorrelation(headers: HeaderPairs): string | undefined {
  const packed = headerText(headers, envelopeHeader)
  return packed === undefined ? undefined : packedField(packed, 'correlation')
}

/**
 * Reads partition 0 of `topic` with a plain Fetch loop from its end as of now, calling `onReply`
 * with each record's correlation id (read by `correlationOf`) and value. Resolves once the start
 * position is known, so no reply to the first request can be missed.
 */
async function readReplies(brokers: string[], topic: string, correlationOf: (headers: HeaderPairs) => string | undefined, onReply: (correlation: string, value: Buffer) => void): Promise<{ close(): Promise<void> }> {
  // Never joins its group: Fetch and ListOffsets need none, but the client wants a name.
  const consumer = new Consumer({ clientId: 'raw-tuned-caller', groupId: `${topic}-no-group`, bootstrapBrokers: brokers })
  const described = (await consumer.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)
  const leader = described?.partitions[0]?.leader
  if (described === undefined || leader === undefined || leader < 0) throw new Error(`${topic} has no leader`)
  let position = (await consumer.listOffsets({ topics: [topic] })).get(topic)?.[0] ?? 0n
  let stopping = false
  // Read through a call: the flag changes while a fetch awaits, which narrowing cannot see.
  const stopped = (): boolean => stopping
  const loop = (async () => {
    while (!stopped()) {
      try {
        const response = await consumer.fetch({
          node: leader,
          topics: [{ topicId: described.id, partitions: [{ partition: 0, fetchOffset: position, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
          maxWaitTime: 500,
          minBytes: 1,
          maxBytes: 1 << 20,
        })
        for (const partition of response.responses[0]?.partitions ?? []) {
          if (partition.errorCode !== 0) throw new Error(`fetch error code ${partition.errorCode}`)
          for (const batch of partition.records ?? []) {
            if ((batch.attributes & controlBatch) === 0) {
              for (const record of batch.records) {
                // A fetch may return a batch that begins before the requested offset.
                if (batch.firstOffset + BigInt(record.offsetDelta) < position) continue
                const correlation = correlationOf(record.headers)
                if (correlation !== undefined && record.value !== null) onReply(correlation, record.value)
              }
            }
            const last = batch.firstOffset + BigInt(batch.lastOffsetDelta)
            if (last >= position) position = last + 1n
          }
        }
      } catch (error) {
        // Closing the consumer fails the fetch in flight; that is how the loop ends.
        if (stopped()) return
        log(`tuned raw caller: ${error instanceof Error ? error.message : String(error)}; fetching again`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  })()
  return {
    async close() {
      stopping = true
      await consumer.close(true).catch(() => undefined)
      await loop
    },
  }
}
