// The notifications service: an event subscriber. Its consumer group is its own, so it receives
// every booking.created whatever else subscribes (loyalty does too).
import { createService, type Service } from 'kafka-ipc'
import { bookingCreated } from './contracts.ts'
import type { ServiceSetup } from './services.ts'

/** `onSent` lets the demo know an email went out; a real service would not need it. */
export function notificationsService({ policy, logger, say, onError }: ServiceSetup, onSent: (bookingId: string) => void): Service {
  const name = 'notifications'
  const app = createService({ name, policy, logger, onError: (error) => { onError(name, error) } })
  app.on(bookingCreated, ({ body: { bookingId, flight, email } }) => {
    say(name, `email sent to ${email}: ${bookingId} on ${flight} is confirmed`)
    onSent(bookingId)
  })
  return app
}
