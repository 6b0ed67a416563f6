// The request-reply systems compared by bench/request-reply.ts, each behind one interface: start,
// send one ~100-byte request and await its reply, stop.
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { randomUUID } from 'node:crypto'
import { createServer, request, Agent } from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { Client } from '../../src/core/client.ts'
import { route } from '../../src/core/contracts.ts'
import { diagnostics } from '../../src/core/diagnostics.ts'
import { definePolicy } from '../../src/core/policy.ts'
import { Service } from '../../src/core/service.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'

/** A system under test. */
export interface System {
  readonly name: string
  /** Sends one request and resolves with its reply. */
  call(index: number): Promise<unknown>
  stop(): Promise<void>
}

/** The request every system echoes: about 100 bytes of JSON. */
export function payload(index: number): { id: number; from: string; to: string; passengers: number; cabin: string; note: string } {
  return { id: index, from: 'WAW', to: 'JFK', passengers: 2, cabin: 'economy', note: 'x'.repeat(24) }
}

const Payload = z.object({ id: z.number(), from: z.string(), to: z.string(), passengers: z.number(), cabin: z.string(), note: z.string() })
/** The route kafka-ipc's systems answer: echoes the payload, zod-validated both ways. */
export const echo = route('bench', 'POST /echo', { body: Payload, reply: Payload })

/** kafka-ipc: a Service and a Client in this process, each with its own Kafka transport, zod-validated. */
export async function startKafkaIpc(brokers: string[], options: { readonly instrumented?: boolean } = {}): Promise<System> {
  const policy = definePolicy({ prefix: `bench-${randomUUID().slice(0, 8)}`, partitions: 6 })
  const serverTransport = kafkaTransport({ brokers })
  const clientTransport = kafkaTransport({ brokers })
  // BENCH_DEDUPE=off: the service keeps no deduplication store (only the per-partition copy window), to price the default one.
  const withoutStore = process.env['BENCH_DEDUPE'] === 'off'
  const deduplication = withoutStore ? { deduplication: false as const } : {}
  const service = new Service({ name: 'bench', policy, transport: serverTransport, ...deduplication }).handle(echo, (req) => req.body)
  const client = new Client({ name: 'bench-caller', policy, transport: clientTransport })
  const unsubscribe = options.instrumented === true ? instrument(service, client) : () => undefined
  await service.listen()
  await client.ready()
  return {
    name: options.instrumented === true ? 'kafka-ipc, with hooks and diagnostics subscribers' : withoutStore ? 'kafka-ipc, no deduplication store' : 'kafka-ipc',
    call: (index) => client.call(echo, { body: payload(index) }),
    async stop() {
      unsubscribe()
      await client.close()
      await service.close()
      await Promise.all([serverTransport.close(), clientTransport.close()])
    },
  }
}

/**
 * What a fully instrumented service pays: a no-op hook at each phase a request passes on both
 * sides, and a no-op subscriber on every event of every diagnostics channel.
 */
function instrument(service: Service, client: Client): () => void {
  const none = (): void => undefined
  for (const phase of ['onReceive', 'preHandler', 'onSend', 'onResponse'] as const) service.addHook(phase, none)
  for (const phase of ['beforeSend', 'onAnswer'] as const) client.addHook(phase, none)
  const subscriber = { start: none, end: none, asyncStart: none, asyncEnd: none, error: none }
  const all = [diagnostics.handle, diagnostics.event, diagnostics.call, diagnostics.emit] as const
  for (const channel of all) channel.subscribe(subscriber)
  return () => {
    for (const channel of all) channel.unsubscribe(subscriber)
  }
}

/**
 * The naive raw @platformatic/kafka round trip, the least code that works: one send() per
 * message, a consumer group answers each request by producing to a reply topic, and a second
 * consumer group reads the replies. bench/lib/raw-tuned.ts is the tuned one, our limit.
 */
export async function startRawKafka(brokers: string[]): Promise<System> {
  const id = randomUUID().slice(0, 8)
  const requests = `raw-${id}-requests`
  const replies = `raw-${id}-replies`
  const admin = new Admin({ clientId: 'raw-admin', bootstrapBrokers: brokers })
  await admin.createTopics({ topics: [requests], partitions: 6, replicas: -1 })
  await admin.createTopics({ topics: [replies], partitions: 1, replicas: -1 })
  const producer = new Producer({ clientId: 'raw-producer', bootstrapBrokers: brokers, serializers: stringSerializers, acks: -1, idempotent: true })
  const responderConsumer = new Consumer({ clientId: 'raw-responder', groupId: `raw-${id}-responder`, bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 500, minBytes: 1 })
  const callerConsumer = new Consumer({ clientId: 'raw-caller', groupId: `raw-${id}-caller`, bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 500, minBytes: 1 })
  const requestStream = await responderConsumer.consume({ topics: [requests], mode: 'latest' })
  requestStream.on('data', (message) => {
    void producer.send({ messages: [{ topic: replies, value: message.value, headers: { correlation: message.headers.get('correlation') ?? '' } }] })
  })
  const pending = new Map<string, (value: string) => void>()
  const replyStream = await callerConsumer.consume({ topics: [replies], mode: 'latest' })
  replyStream.on('data', (message) => {
    const correlation = message.headers.get('correlation') ?? ''
    pending.get(correlation)?.(message.value)
    pending.delete(correlation)
  })
  return {
    name: 'raw @platformatic/kafka, naive',
    call: (index) =>
      new Promise((resolve, reject) => {
        const correlation = randomUUID()
        pending.set(correlation, (value) => {
          resolve(JSON.parse(value))
        })
        producer.send({ messages: [{ topic: requests, value: JSON.stringify(payload(index)), headers: { correlation } }] }).catch(reject)
      }),
    async stop() {
      await Promise.all([requestStream.close(), replyStream.close()])
      await Promise.all([responderConsumer.close(true), callerConsumer.close(true), producer.close()])
      await admin.deleteTopics({ topics: [requests, replies] }).catch(() => undefined)
      await admin.close()
    },
  }
}

/** Plain HTTP: node:http with keep-alive, JSON in and out — what services use today. */
export async function startHttp(concurrency: number): Promise<System> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      JSON.parse(body.toString())
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  return {
    name: 'node:http keep-alive',
    call: (index) => httpEcho(port, agent, index),
    async stop() {
      agent.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** POSTs `payload(index)` as JSON to `/echo` on a local server and resolves with the parsed reply. */
export function httpEcho(port: number, agent: Agent, index: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(payload(index))
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        resolve(JSON.parse(Buffer.concat(chunks).toString()))
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}
