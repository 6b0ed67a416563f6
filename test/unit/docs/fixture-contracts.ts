// Contracts as an application's contracts module exports them, for the document generators'
// tests: one of each kind, a path with a parameter, a body whose schema offers no JSON Schema,
// and contracts held in an exported object.
import { z } from 'zod'
import { event, gather, route, stream } from '../../../src/core/contracts.ts'
import { typed } from '../../../src/core/schema.ts'

const Airport = z.string().regex(/^[A-Z]{3}$/)

export const quote = route('pricing', 'POST /quotes', { body: z.object({ from: Airport, to: Airport, passengers: z.number().int().min(1) }), reply: z.object({ price: z.number() }) })
export const fare = route('pricing', 'GET /fares/:id', { reply: z.object({ id: z.string(), price: z.number() }) })
export const searchFares = stream('offers', 'POST /search', { body: z.object({ from: Airport }), item: z.object({ flight: z.string() }) })
export const holdSeats = gather('seats.hold', { body: z.object({ flight: z.string() }), reply: z.object({ held: z.boolean() }) })
export const legacy = route('ledger', 'POST /entries', { body: typed<{ amount: number }>() })
export const more = { bookingCreated: event('booking.created', { body: z.object({ bookingId: z.string() }) }), notAContract: 42 }
export const unrelated = 'not a contract'
