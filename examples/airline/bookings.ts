// The bookings service: a route whose handler is itself a client of three other patterns. It
// calls pricing (request-reply), asks every carrier to hold seats (gather), and announces the
// booking (event) — all with the same contracts the other services use.
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { createService, KafkaIpcError, type Service } from 'kafka-ipc'
import { carriers } from './carriers.ts'
import { bookingCreated, createBooking, holdSeats, quote } from './contracts.ts'
import type { ServiceSetup } from './services.ts'

export function bookingsService({ policy, logger, say, onError }: ServiceSetup): Service {
  const name = 'bookings'
  const app = createService({ name, policy, logger, onError: (error) => { onError(name, error) } })
  app.handle(createBooking, async ({ body: { flight, from, to, passengers, email } }, ctx) => {
    say(name, `booking ${flight} ${from}→${to} for ${passengers}; asking pricing for a quote`)
    const { price, currency } = await app.call(quote, { body: { from, to, passengers }, signal: ctx.signal })

    say(name, `quote ${price} ${currency}; asking every carrier to hold ${passengers} seats on ${flight} (gather seats.hold)`)
    const began = performance.now()
    const expected = carriers.map((carrier) => carrier.service)
    const { answers, missing } = await app.gather(holdSeats, { body: { flight, seats: passengers }, expect: expected, timeout: 3_000, signal: ctx.signal })
    say(name, `${answers.length} carrier answers in ${Math.round(performance.now() - began)} ms:`)
    for (const service of expected) {
      const answer = answers.find((candidate) => candidate.service === service)
      const said = answer === undefined ? 'no answer' : !answer.ok ? `failed: ${answer.error.message}` : answer.reply.held ? `held (${answer.reply.holdId ?? '?'})` : 'declined'
      say(name, `  ${service}: ${said}`)
    }
    if (missing.length > 0) say(name, `going on without ${missing.join(', ')}`)

    // Prefer the carrier operating the flight; the other holds lapse on their own.
    const holds = answers.flatMap((answer) => (answer.ok && answer.reply.held && answer.reply.holdId !== undefined ? [{ service: answer.service, holdId: answer.reply.holdId }] : []))
    const operator = carriers.find((carrier) => flight.startsWith(carrier.code))?.service
    const chosen = holds.find((hold) => hold.service === operator) ?? holds[0]
    if (chosen === undefined) throw new KafkaIpcError('NO_SEATS', `No carrier could hold ${passengers} seats on ${flight}.`, { status: 409 })

    const bookingId = `BK-${randomBytes(3).toString('hex').toUpperCase()}`
    await app.emit(bookingCreated, { bookingId, flight, carrier: chosen.service, email, passengers, price, currency }, { key: bookingId })
    say(name, `confirmed ${bookingId} with ${chosen.service}; emitted booking.created`)
    ctx.status = 201
    return { bookingId, status: 'confirmed' as const, carrier: chosen.service, holdId: chosen.holdId, price, currency }
  })
  return app
}
