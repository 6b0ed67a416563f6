// The offers service: a stream. The handler is an async generator; each yield reaches the caller
// as soon as it is found, and a caller that stops early (or the deadline) closes the generator
// through ctx.signal.
import { setTimeout as sleep } from 'node:timers/promises'
import { createService, type Service } from 'kafka-ipc'
import { type Fare, searchFares } from './contracts.ts'
import type { ServiceSetup } from './services.ts'

/** The day's schedule WAW→JFK: one direct flight and two connections, in three cabins. */
const schedule: readonly Omit<Fare, 'currency'>[] = [
  { flight: 'LO26', carrier: 'LOT', departs: '16:05', arrives: '19:15', cabin: 'economy', price: 649 },
  { flight: 'KL1362/KL641', carrier: 'KLM', departs: '06:00', arrives: '12:50', cabin: 'economy', price: 584 },
  { flight: 'LH1347/LH400', carrier: 'Lufthansa', departs: '07:00', arrives: '12:55', cabin: 'economy', price: 599 },
  { flight: 'LO26', carrier: 'LOT', departs: '16:05', arrives: '19:15', cabin: 'premium', price: 1149 },
  { flight: 'LO26', carrier: 'LOT', departs: '16:05', arrives: '19:15', cabin: 'business', price: 2390 },
]

export function offersService({ policy, logger, say, onError }: ServiceSetup): Service {
  const name = 'offers'
  const app = createService({ name, policy, logger, onError: (error) => { onError(name, error) } })
  app.handle(searchFares, async function* ({ body: { from, to, date } }, ctx) {
    say(name, `searching ${from}→${to} on ${date}`)
    if (from !== 'WAW' || to !== 'JFK') return
    for (const fare of schedule) {
      // Pretend each fare takes a moment to find; the caller sees them arrive one by one.
      await sleep(120, undefined, { signal: ctx.signal })
      yield { ...fare, currency: 'EUR' as const }
    }
    say(name, `search done: ${schedule.length} fares`)
  })
  return app
}
