// The pricing service: the simplest kafka-ipc handler, request-reply. Its return value is the
// reply; a thrown KafkaIpcError reaches the caller with its code and status.
import { createService, KafkaIpcError, type Service } from 'kafka-ipc'
import { quote } from './contracts.ts'
import type { ServiceSetup } from './services.ts'

/** One-way fare per passenger, in EUR. */
const baseFares: Readonly<Record<string, number>> = { 'WAW-JFK': 649, 'WAW-AMS': 119, 'WAW-FRA': 109, 'AMS-JFK': 559 }

export function pricingService({ policy, logger, say, onError }: ServiceSetup): Service {
  const name = 'pricing'
  const app = createService({ name, policy, logger, onError: (error) => { onError(name, error) } })
  app.handle(quote, ({ body: { from, to, passengers } }) => {
    const base = baseFares[`${from}-${to}`]
    if (base === undefined) throw new KafkaIpcError('NO_FARE', `No fare from ${from} to ${to}.`, { status: 404 })
    say(name, `${from}→${to} for ${passengers}: ${passengers} × ${base} EUR`)
    return { price: base * passengers, currency: 'EUR' as const }
  })
  return app
}
