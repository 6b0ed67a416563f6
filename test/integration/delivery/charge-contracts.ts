// The route and event of the redelivery test, shared by the test and its child process.
import { z } from 'zod'
import { event, route } from '../../../src/core/contracts.ts'

/** Charges a card: each run makes a new charge id, so a second run shows in the reply. */
export const charge = route('billing', 'PUT /charges/:order', { reply: z.object({ charge: z.string() }) })
/** An order paid: each run is printed by the child, counted by the successor. */
export const paid = event('billing.paid', { body: z.object({ order: z.string() }) })
