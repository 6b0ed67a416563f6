// The loyalty service: a second subscriber to booking.created. It gets its own copy of each
// event, independently of notifications, and credits a point per euro spent.
import { createService, type Service } from 'kafka-ipc'
import { bookingCreated } from './contracts.ts'
import type { ServiceSetup } from './services.ts'

/** `onCredited` lets the demo know points were added; a real service would not need it. */
export function loyaltyService({ policy, logger, say, onError }: ServiceSetup, onCredited: (bookingId: string) => void): Service {
  const name = 'loyalty'
  const balances = new Map<string, number>()
  const app = createService({ name, policy, logger, onError: (error) => { onError(name, error) } })
  app.on(bookingCreated, ({ body: { bookingId, email, price } }) => {
    const points = Math.round(price)
    const balance = (balances.get(email) ?? 0) + points
    balances.set(email, balance)
    say(name, `+${points} points for ${email} (${bookingId}); balance ${balance}`)
    onCredited(bookingId)
  })
  return app
}
