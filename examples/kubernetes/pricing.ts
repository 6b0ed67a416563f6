// pricing.ts — the service deployment.yaml runs: `node pricing.ts` on Node 24, which strips the
// types itself. Kafka at $KAFKA_BROKERS; probes (and metrics) on $HEALTH_PORT, default 9464, where
// `0` picks a free port; JSON logs on stdout (pino), at $LOG_LEVEL, default info — and kafka-ipc's
// own at $KIPC_LOG_LEVELS when set (`messages=debug` for a line per message; docs/operations.md#logging).
import { createService, defaultHealthPort, KafkaIpcError, serveHealth } from 'kafka-ipc'
import pino from 'pino'
import { quote } from './contracts.ts'

/** One-way fare per passenger, in EUR. */
const fares: Readonly<Record<string, number>> = { 'WAW-JFK': 649, 'WAW-AMS': 119, 'AMS-JFK': 559 }

const logger = pino({ name: 'pricing', level: process.env['LOG_LEVEL'] ?? 'info' })
// Graceful shutdown is on by default: on SIGTERM the service stops consuming, finishes and answers
// the requests in flight, commits, leaves its consumer group and deletes its inbox, then exits 0 —
// within 25 s (defaultShutdownGraceMs), which deployment.yaml's grace period leaves room for.
const app = createService({ name: 'pricing', logger })
app.handle(quote, ({ body: { from, to, passengers } }) => {
  const fare = fares[`${from}-${to}`]
  if (fare === undefined) throw new KafkaIpcError('NO_FARE', `No fare from ${from} to ${to}.`, { status: 404 })
  return { price: fare * passengers, currency: 'EUR' as const }
})

// Probes before listen(): the kubelet reaches the pod from its first second, and /startupz answers
// 503 until listen() is done. They keep answering while the service drains after SIGTERM (/readyz
// 503, /livez 200) and stop with the process.
const port = process.env['HEALTH_PORT']
const probes = await serveHealth(app, { port: port === undefined || port === '' ? defaultHealthPort : Number(port) })
logger.info({ port: probes.port }, `probes on ${probes.url}`)
try {
  await app.listen()
} catch (error) {
  // No broker within the connect timeout, say: exit, and let Kubernetes restart the pod with backoff.
  logger.error({ err: error }, 'pricing could not start')
  process.exit(1)
}
// listen() has logged `pricing: listening (… ms)` itself, as close() and the shutdown will.
