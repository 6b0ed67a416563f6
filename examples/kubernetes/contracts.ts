// contracts.ts — the pricing service's one route, shared by its callers (and by the test that runs
// this example against a real broker).
import { route } from 'kafka-ipc'
import { z } from 'zod'

export const quote = route('pricing', 'POST /quotes', {
  body: z.object({ from: z.string().length(3), to: z.string().length(3), passengers: z.number().int().min(1).max(9) }),
  reply: z.object({ price: z.number(), currency: z.literal('EUR') }),
})
