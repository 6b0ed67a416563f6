// kafka-ipc's events against the batched raw client in alternating rounds — and against the same
// raw client carrying kafka-ipc's one envelope header on each record, which prices the header
// apart from what kafka-ipc does: all three started, warmed and kept running, then measured round
// by round, taking turns (the order rotates each round), so that a drift of the shared machine
// falls on all alike — the way the request-reply bench reads its ratios
// (bench/lib/alternated-ratios.ts).
import { median } from './alternated-ratios.ts'
import { type EventsResult, type EventSystem, measureEventRound, warmEvents } from './events.ts'
import { startIpcEvents } from './ipc-events.ts'
import { startRawEvents } from './raw-events.ts'
import { fixed, whole } from './run-env.ts'

/** One round: kafka-ipc's result, the batched raw client's, and the batched raw client's with kafka-ipc's envelope header. */
export interface EventRound {
  readonly ipc: EventsResult
  readonly raw: EventsResult
  readonly rawWithHeader: EventsResult
}

/**
 * Starts kafka-ipc, the batched raw client and the batched raw client with kafka-ipc's envelope
 * header (each with `compression`), warms them with `warmup` events, measures `rounds` rounds of
 * `total` events each, taking turns, and stops them.
 *
 * @example
 * ```ts
 * const rounds = await alternatedEvents(brokers, 6, 'none', { rounds: 4, total: 20_000, inFlight: 1_000, warmup: 20_000 })
 * ```
 */
export async function alternatedEvents(brokers: string[], partitions: number, compression: 'none' | 'zstd', options: { rounds: number; total: number; inFlight: number; warmup: number }): Promise<EventRound[]> {
  const { rounds, total, inFlight, warmup } = options
  const started: EventSystem[] = []
  try {
    for (const start of [() => startIpcEvents(brokers, partitions, compression), () => startRawEvents(brokers, partitions, 'batched', compression), () => startRawEvents(brokers, partitions, 'batched-with-header', compression)]) started.push(await start())
    for (const system of started) await warmEvents(system, warmup, inFlight)
    const measured: EventRound[] = []
    let firstSeq = warmup
    for (let round = 0; round < rounds; round++) {
      const results: EventsResult[] = []
      // Round r starts with system r mod 3: each goes first, second and third in turn.
      for (let turn = 0; turn < started.length; turn++) {
        const index = (round + turn) % started.length
        results[index] = await measureEventRound(started[index] as EventSystem, firstSeq, total, inFlight)
      }
      firstSeq += total
      const [ipc, raw, rawWithHeader] = results as [EventsResult, EventsResult, EventsResult]
      measured.push({ ipc, raw, rawWithHeader })
    }
    return measured
  } finally {
    for (const system of started.reverse()) await system.stop()
  }
}

/** The rounds of each compression as a markdown table, and a line of the median ratios. */
export function eventRoundsTable(byCompression: readonly { readonly compression: string; readonly rounds: readonly EventRound[] }[]): string {
  const lines = [
    '| compression | round | kafka-ipc produced/s | raw produced/s | raw + header produced/s | kafka-ipc ÷ raw | kafka-ipc ÷ raw + header | raw + header ÷ raw | kafka-ipc consumed/s | raw consumed/s | raw + header consumed/s | kafka-ipc ÷ raw |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  const medians: string[] = []
  for (const { compression, rounds } of byCompression) {
    const produced = rounds.map(({ ipc, raw }) => ipc.emit.perSecond / raw.emit.perSecond)
    const producedWithHeader = rounds.map(({ ipc, rawWithHeader }) => ipc.emit.perSecond / rawWithHeader.emit.perSecond)
    const headerCost = rounds.map(({ raw, rawWithHeader }) => rawWithHeader.emit.perSecond / raw.emit.perSecond)
    const consumed = rounds.map(({ ipc, raw }) => ipc.consumedPerSecond / raw.consumedPerSecond)
    const consumedWithHeader = rounds.map(({ ipc, rawWithHeader }) => ipc.consumedPerSecond / rawWithHeader.consumedPerSecond)
    rounds.forEach(({ ipc, raw, rawWithHeader }, index) => {
      const ratios = [produced, producedWithHeader, headerCost].map((of) => `${fixed(of[index] ?? Number.NaN)}×`)
      lines.push(`| ${compression} | ${index + 1} | ${whole(ipc.emit.perSecond)} | ${whole(raw.emit.perSecond)} | ${whole(rawWithHeader.emit.perSecond)} | ${ratios.join(' | ')} | ${whole(ipc.consumedPerSecond)} | ${whole(raw.consumedPerSecond)} | ${whole(rawWithHeader.consumedPerSecond)} | ${fixed(consumed[index] ?? Number.NaN)}× |`)
    })
    medians.push(`${compression}: produced ${fixed(median(produced))}×, consumed ${fixed(median(consumed))}× (÷ raw with the header: ${fixed(median(producedWithHeader))}× and ${fixed(median(consumedWithHeader))}×; the header alone takes the raw client to ${fixed(median(headerCost))}×)`)
  }
  return `${lines.join('\n')}\n\nMedian kafka-ipc ÷ batched raw over the rounds — ${medians.join('; ')}.`
}
