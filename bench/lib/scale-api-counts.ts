// Counts the Kafka requests this process sends, by API, through the diagnostics channel
// @platformatic/kafka publishes every request on (`plt:kafka:connections:api`). What the brokers
// are asked to do per call, counted where it is sent rather than estimated from the protocol.
import { channel } from 'node:diagnostics_channel'
import type { ApiCounts } from './scale-messages.ts'

/** The APIs a request-reply fleet sends in steady state; anything else is summed as `other`. */
const names: Readonly<Record<number, string>> = { 0: 'Produce', 1: 'Fetch', 2: 'ListOffsets', 3: 'Metadata', 8: 'OffsetCommit', 12: 'Heartbeat' }

/** A running count of Kafka requests by API name; `reset()` starts a new window. */
export interface ApiCounter {
  counts(): ApiCounts
  reset(): void
}

/** Starts counting every Kafka request this process sends from now on. */
export function countKafkaRequests(): ApiCounter {
  let counts: Record<string, number> = {}
  // The tracing channel's start event carries the request's apiKey before it is written.
  channel('tracing:plt:kafka:connections:api:start').subscribe((message) => {
    const apiKey = (message as { apiKey?: number }).apiKey ?? -1
    const name = names[apiKey] ?? 'other'
    counts[name] = (counts[name] ?? 0) + 1
  })
  return {
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {}
    },
  }
}
