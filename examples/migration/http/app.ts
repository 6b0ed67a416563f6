// The bookings API, written as a Fastify app is written today. Its move to Kafka leaves this file
// as it is (examples/migration/http/app.ts and kafka/app.ts are the same).
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'

interface Booking {
  id: string
  flight: string
  seat: string
}

const bookingBody = {
  type: 'object',
  required: ['flight', 'seat'],
  properties: { flight: { type: 'string', minLength: 2 }, seat: { type: 'string', pattern: '^[0-9]{1,2}[A-K]$' } },
  additionalProperties: false,
} as const

/** Departure updates for a flight, a little apart, as newline-delimited JSON. */
async function* departureUpdates(flight: string): AsyncGenerator<string> {
  for (const status of ['scheduled', 'boarding', 'departed']) {
    await sleep(50)
    yield `${JSON.stringify({ flight, status })}\n`
  }
}

export function buildApp(): FastifyInstance {
  const app = Fastify()
  const bookings = new Map<string, Booking>()
  let next = 1

  app.get<{ Params: { id: string }; Querystring: { fields?: string } }>('/bookings/:id', async (request, reply) => {
    const booking = bookings.get(request.params.id)
    if (booking === undefined) return reply.code(404).send({ error: `no booking ${request.params.id}` })
    return request.query.fields === 'seat' ? { seat: booking.seat } : booking
  })

  app.post<{ Body: { flight: string; seat: string } }>('/bookings', { schema: { body: bookingBody } }, async (request, reply) => {
    const booking = { id: `B${next++}`, ...request.body }
    bookings.set(booking.id, booking)
    return reply.code(201).header('location', `/bookings/${booking.id}`).send(booking)
  })

  app.delete<{ Params: { id: string } }>('/bookings/:id', async (request, reply) => {
    bookings.delete(request.params.id)
    return reply.code(204).send()
  })

  app.get<{ Querystring: { flight: string } }>('/departures', async (request, reply) => {
    return reply.type('application/x-ndjson').send(Readable.from(departureUpdates(request.query.flight)))
  })

  return app
}
