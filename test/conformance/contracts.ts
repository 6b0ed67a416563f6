// Contracts shared by the conformance tests, declared once as users would.
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { event, gather, route, stream } from '../../src/core/contracts.ts'
import type { HandlerFor } from '../../src/core/handler-types.ts'

export const echo = route('echo', 'POST /echo', {
  body: z.object({ caller: z.string(), n: z.number().int() }),
  reply: z.object({ caller: z.string(), n: z.number().int(), responder: z.string() }),
})
export const getBooking = route('echo', 'GET /bookings/:id', { reply: z.object({ id: z.string() }) })
export const slow = route('echo', 'POST /slow', { body: z.object({ ms: z.number() }), reply: z.object({ done: z.boolean() }) })
export const fail = route('echo', 'POST /fail', { body: z.object({ kind: z.enum(['plain', 'coded']) }) })
export const missing = route('echo', 'DELETE /nowhere')
export const countdown = stream('echo', 'POST /countdown', {
  body: z.object({ from: z.number().int(), failAt: z.number().int().optional(), delayMs: z.number().optional() }),
  item: z.object({ n: z.number().int() }),
})
export const booked = event('booking.created', { body: z.object({ id: z.string(), seq: z.number().int() }) })
export const seatHold = gather('seat.hold', { body: z.object({ flight: z.string() }), reply: z.object({ carrier: z.string(), seats: z.number().int() }) })

/** A handler of {@link slow} that waits `ms`, or fails with its signal's reason when that aborts first. */
export const sleepThenDone: HandlerFor<typeof slow> = async (request, context) => {
  await sleep(request.body.ms, undefined, { signal: context.signal })
  return { done: true }
}
