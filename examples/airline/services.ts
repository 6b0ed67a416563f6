// The whole airline: which services exist, and starting and stopping them together. In
// production each would run in its own process; here they share one for the demo, but each
// still has its own Kafka connection, consumer groups and inbox, exactly as if apart.
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger, Policy, Service } from 'kafka-ipc'
import { bookingsService } from './bookings.ts'
import { carriers, carrierService } from './carriers.ts'
import { loyaltyService } from './loyalty.ts'
import { notificationsService } from './notifications.ts'
import { offersService } from './offers.ts'
import { pricingService } from './pricing.ts'

/** What every service is built from. Kafka itself is found at $KAFKA_BROKERS. */
export interface ServiceSetup {
  /** The fleet's policy: services and clients on the same policy find each other. */
  readonly policy: Policy
  /**
   * Where every service logs: a pino logger (any pino-compatible one). Each line names its
   * service and what it is about (`concern`); docs/operations.md#logging.
   */
  readonly logger: Logger
  /** Prints one line of the transcript as `service`. */
  readonly say: (service: string, text: string) => void
  /** A failure no caller hears about (a failing event handler, a lost connection). */
  readonly onError: (service: string, error: unknown) => void
}

export interface Airline {
  readonly services: readonly Service[]
  /** Resolves once notifications and loyalty both handled booking.created for `bookingId`. */
  delivered(bookingId: string, timeoutMs: number): Promise<void>
  /** Closes every service: each leaves its consumer groups and deletes its inbox. */
  close(): Promise<void>
}

/** Creates every service and resolves once all of them listen. */
export async function startAirline(setup: ServiceSetup): Promise<Airline> {
  const emailed = new Set<string>()
  const credited = new Set<string>()
  const services = [
    pricingService(setup),
    offersService(setup),
    bookingsService(setup),
    ...carriers.map((carrier) => carrierService(carrier, setup)),
    notificationsService(setup, (bookingId) => {
      emailed.add(bookingId)
    }),
    loyaltyService(setup, (bookingId) => {
      credited.add(bookingId)
    }),
  ]
  const close = async (): Promise<void> => {
    await Promise.all(services.map((service) => service.close()))
  }
  try {
    // All at once, as a fleet comes up: services sharing a new topic (the three carriers share
    // seats.hold) may create it together.
    await Promise.all(
      services.map(async (service) => {
        const began = performance.now()
        await service.listen()
        setup.say(service.name, `listening (${Math.round(performance.now() - began)} ms)`)
      }),
    )
  } catch (error) {
    await close().catch(() => undefined)
    throw error
  }
  return {
    services,
    close,
    delivered: async (bookingId, timeoutMs) => {
      const deadline = Date.now() + timeoutMs
      while (!emailed.has(bookingId) || !credited.has(bookingId)) {
        if (Date.now() > deadline) {
          const late = [...(emailed.has(bookingId) ? [] : ['notifications']), ...(credited.has(bookingId) ? [] : ['loyalty'])]
          throw new Error(`booking.created for ${bookingId} did not reach ${late.join(' and ')} within ${timeoutMs} ms`)
        }
        await sleep(10)
      }
    },
  }
}
