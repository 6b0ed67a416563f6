// The carrier services: three separate services answering the same gather. Each has its own
// consumer group, so each receives every seats.hold request and answers for itself; the caller
// collects the answers. KLM does not sell LO26 and declines.
import { randomBytes } from 'node:crypto'
import { createService, type Service } from 'kafka-ipc'
import { holdSeats } from './contracts.ts'
import type { ServiceSetup } from './services.ts'

export interface Carrier {
  /** The service name: carrier-lot, carrier-klm, carrier-dlh. */
  readonly service: string
  readonly name: string
  /** IATA code: the first letters of the flights it operates. */
  readonly code: string
  /** Flights this carrier sells (its own and codeshares), with seats left. */
  readonly seats: Readonly<Record<string, number>>
}

export const carriers: readonly Carrier[] = [
  { service: 'carrier-lot', name: 'LOT', code: 'LO', seats: { LO26: 9 } },
  { service: 'carrier-klm', name: 'KLM', code: 'KL', seats: { KL641: 4 } },
  { service: 'carrier-dlh', name: 'Lufthansa', code: 'LH', seats: { LO26: 2, LH400: 6 } },
]

export function carrierService(carrier: Carrier, { policy, logger, say, onError }: ServiceSetup): Service {
  const name = carrier.service
  const seatsLeft = new Map(Object.entries(carrier.seats))
  const app = createService({ name, policy, logger, onError: (error) => { onError(name, error) } })
  app.handle(holdSeats, ({ body: { flight, seats } }) => {
    const left = seatsLeft.get(flight) ?? 0
    if (left < seats) {
      say(name, left === 0 ? `${flight} is not a ${carrier.name} flight: declined` : `only ${left} seats left on ${flight}: declined`)
      return { carrier: carrier.name, held: false }
    }
    seatsLeft.set(flight, left - seats)
    const holdId = `${name.slice(-3).toUpperCase()}-${randomBytes(3).toString('hex').toUpperCase()}`
    say(name, `held ${seats} seats on ${flight}: ${holdId}`)
    return { carrier: carrier.name, held: true, holdId }
  })
  return app
}
