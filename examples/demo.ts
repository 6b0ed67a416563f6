// `npm run demo`: the airline example end to end on a real Kafka. A web front end gets a quote
// (request-reply), streams a fare search (one request, many items) and books a flight; bookings
// in turn calls pricing, gathers seat holds from three carriers and emits booking.created, which
// notifications and loyalty each receive. Kafka is started from this machine's Java unless
// KAFKA_BROKERS names one; every run uses a fresh topic prefix, so old data is never seen.
// `KIPC_LOG_LEVELS=messages=debug npm run demo` adds a log line per message to the transcript.
import { performance } from 'node:perf_hooks'
import { type Client, createClient, definePolicy, isKafkaIpcError, RemoteError } from 'kafka-ipc'
import { LocalKafka } from 'kafka-ipc/local-kafka'
import pino from 'pino'
import { createBooking, quote, searchFares } from './airline/contracts.ts'
import { type Airline, startAirline } from './airline/services.ts'
import { createTranscript } from './airline/transcript.ts'

const t = createTranscript()
const problems: string[] = []
let kafka: LocalKafka | undefined
let airline: Airline | undefined
let web: Client | undefined

/** Rejects with a clear message when `promise` takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} took longer than ${ms / 1000} s`))
    }, ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

// Every service and the web client log through one pino logger. In production its JSON lines would
// go to stdout for a log shipper; here each becomes a transcript line said by the service it names.
// pino's level is warn: a quiet run shows none, but a concern given a level of its own
// ($KIPC_LOG_LEVELS, or logLevels in code) is written at that level.
const logger = pino({ level: 'warn' }, {
  write: (line: string) => {
    const { level, service = 'kafka-ipc', msg = '' } = JSON.parse(line) as { level: number; service?: string; msg?: string }
    const text = msg.startsWith(`${service}: `) ? msg.slice(service.length + 2) : msg
    if (level >= 40) t.warn(service, text) // pino's warn, error and fatal
    else t.say(service, text)
  },
})

function explain(error: unknown): string {
  if (error instanceof RemoteError) return `${error.service} answered ${error.status} ${error.code}: ${error.message}`
  if (isKafkaIpcError(error)) return `${error.code}: ${error.message}`
  return error instanceof Error ? error.message : String(error)
}

async function run(): Promise<void> {
  const began = performance.now()
  process.stdout.write('kafka-ipc airline demo: eight services and a web front end, talking over Kafka\n\n')
  const external = process.env['KAFKA_BROKERS']
  if (external !== undefined && external !== '') {
    t.say('demo', `using the Kafka at ${external} (KAFKA_BROKERS)`)
  } else {
    t.say('demo', 'starting a local Apache Kafka (no Docker: Java + the Maven Central jars)…')
    kafka = await LocalKafka.start({ log: (line) => { t.say('kafka', line) } })
    // Services and clients made without a transport connect to $KAFKA_BROKERS.
    process.env['KAFKA_BROKERS'] = kafka.bootstrap
    t.say('demo', `Kafka ${kafka.kafkaVersion} ready at ${kafka.bootstrap} in ${kafka.readyInMs} ms`)
  }

  const policy = definePolicy({ prefix: `airline-${Date.now().toString(36)}` })
  t.say('demo', `policy prefix ${policy.prefix}: this run's topics and consumer groups are all new`)
  let since = performance.now()
  airline = await within(
    startAirline({
      policy,
      logger,
      say: (service, text) => { t.say(service, text) },
      onError: (service, error) => {
        problems.push(`${service}: ${explain(error)}`)
        t.warn(service, explain(error))
      },
    }),
    60_000,
    'starting the services',
  )
  t.say('demo', `${airline.services.length} services listening (${t.took(since)}): ${airline.services.map((service) => service.name).join(', ')}`)
  web = createClient({ name: 'web', policy, logger })

  const trip = { from: 'WAW', to: 'JFK', date: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10), passengers: 2 }

  t.step('Quote: web calls pricing, POST /quotes (request-reply)')
  since = performance.now()
  const { price, currency } = await web.call(quote, { body: { from: trip.from, to: trip.to, passengers: trip.passengers } })
  t.say('web', `quote: ${price} ${currency} for ${trip.passengers} passengers ${trip.from}→${trip.to} (${t.took(since)})`)

  t.step('Fare search: web streams from offers, POST /search (one request, many items)')
  since = performance.now()
  let fares = 0
  for await (const fare of web.stream(searchFares, { body: { from: trip.from, to: trip.to, date: trip.date } })) {
    fares++
    t.say('web', `fare ${fares}: ${fare.flight.padEnd(12)} ${fare.carrier.padEnd(9)} ${fare.departs}→${fare.arrives}  ${fare.cabin.padEnd(8)} ${fare.price} ${fare.currency}`)
  }
  if (fares === 0) throw new Error('the fare search returned no fares')
  t.say('web', `${fares} fares, then the end of the stream (${t.took(since)})`)

  t.step('Booking: web calls bookings, POST /bookings (bookings calls pricing, gathers seats.hold, emits booking.created)')
  since = performance.now()
  const booking = await web.call(createBooking, { body: { flight: 'LO26', ...trip, email: 'ada@example.com' }, timeout: 10_000 })
  t.say('web', `booking ${booking.bookingId} confirmed: LO26 with ${booking.carrier}, hold ${booking.holdId}, ${booking.price} ${booking.currency} (${t.took(since)})`)

  t.step('Event: booking.created reaches each subscribing service (notifications, loyalty)')
  since = performance.now()
  await airline.delivered(booking.bookingId, 15_000)
  t.say('demo', `notifications and loyalty both received booking.created for ${booking.bookingId} (waited ${t.took(since)})`)

  if (problems.length > 0) throw new Error(`services reported ${problems.length} problem(s): ${problems.join('; ')}`)
  t.say('demo', `all four steps done in ${t.took(began)}`)
}

async function shutDown(): Promise<void> {
  process.stdout.write('\n')
  const since = performance.now()
  await web?.close()
  await airline?.close()
  if (airline !== undefined) t.say('demo', `closed the web client and every service: groups left, inboxes deleted (${t.took(since)})`)
  if (kafka !== undefined) {
    await kafka.stop()
    t.say('demo', 'stopped the local Kafka; nothing is left running')
  }
}

try {
  await run()
} catch (error) {
  process.exitCode = 1
  t.warn('demo', `FAILED: ${explain(error)}`)
  if (isKafkaIpcError(error, 'KIPC_TRANSPORT_ERROR')) t.warn('demo', `is Kafka running at ${process.env['KAFKA_BROKERS'] ?? '?'}?`)
} finally {
  // A shutdown that hangs must not hang the demo: the local Kafka is stopped on exit regardless.
  const watchdog = setTimeout(() => {
    t.warn('demo', 'FAILED: shutting down took longer than 60 s')
    process.exit(1)
  }, 60_000)
  watchdog.unref()
  await shutDown().catch((error: unknown) => {
    process.exitCode = 1
    t.warn('demo', `FAILED to shut down: ${explain(error)}`)
  })
  clearTimeout(watchdog)
  if (process.exitCode === 1) process.exit(1)
  // Everything is closed, so the process should end by itself now; if a connection or timer was
  // left behind, say so instead of hanging.
  setTimeout(() => {
    t.warn('demo', 'FAILED: still running 10 s after shutting down; something was left open')
    process.exit(1)
  }, 10_000).unref()
}
