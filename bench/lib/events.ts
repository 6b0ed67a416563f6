// The events scenario shared by every system: a ~1 KiB JSON event, a tally of what a subscriber
// handled, and the driver that emits N events with bounded concurrency and times both ends.
import { measure, type ScenarioResult } from './measure.ts'
import { log, waitUntil } from './run-env.ts'

/**
 * 4,096 different texts of 1,000 characters, of words picked by a fixed pseudo-random sequence,
 * built before any measurement: events that compress about as well as real JSON does, not one
 * text repeated — which zstd shrinks hundreds of times over, past the 64× inflate ratio
 * kafka-ipc's bounded decompression allows a fetch (docs/security.md#compressed-batches), so that
 * a raw consumer in the same process had batches refused as bombs.
 */
const fillers = ((): string[] => {
  const words = ['order', 'customer', 'shipped', 'invoice', 'warehouse', 'Berlin', 'Lisbon', 'priority', 'express', 'returned', 'pending', 'paid', 'EUR', 'USD', 'parcel', 'SKU']
  let seed = 42
  // 32-bit arithmetic (a float product would lose bits and cycle early); the high bits, whose period is long.
  const next = (): number => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 16
  return Array.from({ length: 4096 }, () => {
    let text = ''
    while (text.length < 1000) text += `${words[next() % words.length] ?? ''} ${String(next() % 10_000)} `
    return text.slice(0, 1000)
  })
})()

/** The event every system publishes: 1,019–1,024 bytes of JSON for sequence numbers up to 999,999. */
export function eventBody(seq: number): { seq: number; data: string } {
  return { seq, data: fillers[seq % fillers.length] ?? '' }
}

/** Counts handled events and remembers when the last one was handled. */
export class Tally {
  count = 0
  lastAt = 0

  tick(): void {
    this.count++
    this.lastAt = performance.now()
  }
}

/** A publisher and a subscribing consumer group on one topic. */
export interface EventSystem {
  readonly name: string
  /** Publishes the event with sequence number `seq`; resolves once the broker has it. */
  emit(seq: number): Promise<unknown>
  /** What the subscriber has handled. */
  readonly tally: Tally
  stop(): Promise<void>
}

/** What one system achieved. */
export interface EventsResult {
  readonly system: string
  /** Emit latencies and produced/s. */
  readonly emit: ScenarioResult
  /** Events handled per second, from the first emit to the last event handled. */
  readonly consumedPerSecond: number
  readonly consumeMs: number
}

/**
 * Emits `warmup` events and waits until they are handled, then emits `total` more with `inFlight`
 * emits pending at once and waits until the subscriber has handled every one.
 */
export async function measureEvents(system: EventSystem, options: { total: number; inFlight: number; warmup: number }): Promise<EventsResult> {
  const { total, inFlight, warmup } = options
  try {
    await warmEvents(system, warmup, inFlight)
    return await measureEventRound(system, warmup, total, inFlight)
  } finally {
    await system.stop()
  }
}

/** Emits `warmup` events (sequence numbers from 0) and waits until they are handled. */
export async function warmEvents(system: EventSystem, warmup: number, inFlight: number): Promise<void> {
  log(`${system.name}: ${warmup} warm-up events…`)
  const target = system.tally.count + warmup
  await measure('warm-up', (seq) => system.emit(seq), { total: warmup, concurrency: inFlight, warmup: 0 })
  await waitUntil(() => system.tally.count >= target, 'the warm-up events are handled')
}

/**
 * One measured round on a running system: emits `total` events from sequence number `firstSeq`
 * with `inFlight` pending at once, and waits until the subscriber has handled every one.
 */
export async function measureEventRound(system: EventSystem, firstSeq: number, total: number, inFlight: number): Promise<EventsResult> {
  const target = system.tally.count + total
  log(`${system.name}: ${total} events, ${inFlight} emits in flight…`)
  const began = performance.now()
  const emit = await measure('emit', (seq) => system.emit(firstSeq + seq), { total, concurrency: inFlight, warmup: 0 })
  await waitUntil(() => system.tally.count >= target, `${system.name} handled ${total} events`, 10 * 60_000)
  const consumeMs = system.tally.lastAt - began
  return { system: system.name, emit, consumedPerSecond: (total / consumeMs) * 1000, consumeMs }
}
