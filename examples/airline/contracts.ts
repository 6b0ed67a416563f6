// The airline's contracts: one file every service imports, so callers and handlers agree on paths
// and bodies at compile time and zod checks them at run time. One of each kafka-ipc pattern:
// a route (request-reply), a stream (many items from one responder), a gather (one answer from
// each carrier) and an event (delivered to every subscribing service).
import { event, gather, route, stream } from 'kafka-ipc'
import { z } from 'zod'

const Airport = z.string().regex(/^[A-Z]{3}$/, 'an IATA airport code such as WAW')
const Money = { price: z.number().positive(), currency: z.literal('EUR') }

/** pricing: what a trip costs for this many passengers. */
export const quote = route('pricing', 'POST /quotes', {
  body: z.object({ from: Airport, to: Airport, passengers: z.number().int().min(1).max(9) }),
  reply: z.object(Money),
})

export const Fare = z.object({
  flight: z.string(),
  carrier: z.string(),
  departs: z.string(),
  arrives: z.string(),
  cabin: z.enum(['economy', 'premium', 'business']),
  ...Money,
})
export type Fare = z.infer<typeof Fare>

/** offers: the fares of a day, streamed one by one as they are found. */
export const searchFares = stream('offers', 'POST /search', {
  body: z.object({ from: Airport, to: Airport, date: z.iso.date() }),
  item: Fare,
})

/** Every carrier selling the flight is asked to hold the seats; each answers for itself. */
export const holdSeats = gather('seats.hold', {
  body: z.object({ flight: z.string(), seats: z.number().int().min(1) }),
  reply: z.object({ carrier: z.string(), held: z.boolean(), holdId: z.string().optional() }),
})

/** bookings: books a flight (quotes, holds seats, then announces the booking). */
export const createBooking = route('bookings', 'POST /bookings', {
  body: z.object({ flight: z.string(), from: Airport, to: Airport, date: z.iso.date(), passengers: z.number().int().min(1).max(9), email: z.email() }),
  reply: z.object({ bookingId: z.string(), status: z.literal('confirmed'), carrier: z.string(), holdId: z.string(), ...Money }),
})

/** Published once a booking is confirmed; notifications and loyalty each receive it. */
export const bookingCreated = event('booking.created', {
  body: z.object({ bookingId: z.string(), flight: z.string(), carrier: z.string(), email: z.email(), passengers: z.number().int(), ...Money }),
})
