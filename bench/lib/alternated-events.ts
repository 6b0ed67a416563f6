// kafka-ipc's events against the batched raw client in alternating rounds: both systems started,
// warmed and kept running, then measured round by round, taking turns (and turns about who goes
// first), so that a drift of the shared machine falls on both alike — the way the request-reply
// bench reads its ratios (bench/lib/alternated-ratios.ts).
import { median } from './alternated-ratios.ts'
import { type EventsResult, measureEventRound, warmEvents } from './events.ts'
import { startIpcEvents } from './ipc-events.ts'
import { startRawEvents } from './raw-events.ts'
import { fixed, whole } from './run-env.ts'

/** One round: kafka-ipc's result and the batched raw client's. */
export interface EventRound {
  readonly ipc: EventsResult
  readonly raw: EventsResult
}

/**
 * Starts kafka-ipc and the batched raw client (with `compression`), warms both with `warmup`
 * events, measures `rounds` alternating rounds of `total` events each, and stops both.
 *
 * @example
 * ```ts
 * const rounds = await alternatedEvents(brokers, 6, 'none', { rounds: 4, total: 20_000, inFlight: 1_000, warmup: 20_000 })
 * ```
 */
export async function alternatedEvents(brokers: string[], partitions: number, compression: 'none' | 'zstd', options: { rounds: number; total: number; inFlight: number; warmup: number }): Promise<EventRound[]> {
  const { rounds, total, inFlight, warmup } = options
  const ipc = await startIpcEvents(brokers, partitions, compression)
  try {
    const raw = await startRawEvents(brokers, partitions, 'batched', compression)
    try {
      await warmEvents(ipc, warmup, inFlight)
      await warmEvents(raw, warmup, inFlight)
      const measured: EventRound[] = []
      let firstSeq = warmup
      for (let round = 0; round < rounds; round++) {
        const ipcFirst = round % 2 === 0
        const first = await measureEventRound(ipcFirst ? ipc : raw, firstSeq, total, inFlight)
        const second = await measureEventRound(ipcFirst ? raw : ipc, firstSeq, total, inFlight)
        firstSeq += total
        measured.push(ipcFirst ? { ipc: first, raw: second } : { ipc: second, raw: first })
      }
      return measured
    } finally {
      await raw.stop()
    }
  } finally {
    await ipc.stop()
  }
}

/** The rounds of each compression as a markdown table, and a line of the median ratios. */
export function eventRoundsTable(byCompression: readonly { readonly compression: string; readonly rounds: readonly EventRound[] }[]): string {
  const lines = ['| compression | round | kafka-ipc produced/s | raw produced/s | ratio | kafka-ipc consumed/s | raw consumed/s | ratio |', '|---|---:|---:|---:|---:|---:|---:|---:|']
  const medians: string[] = []
  for (const { compression, rounds } of byCompression) {
    const produced = rounds.map(({ ipc, raw }) => ipc.emit.perSecond / raw.emit.perSecond)
    const consumed = rounds.map(({ ipc, raw }) => ipc.consumedPerSecond / raw.consumedPerSecond)
    rounds.forEach(({ ipc, raw }, index) => {
      lines.push(`| ${compression} | ${index + 1} | ${whole(ipc.emit.perSecond)} | ${whole(raw.emit.perSecond)} | ${fixed(produced[index] ?? Number.NaN)}× | ${whole(ipc.consumedPerSecond)} | ${whole(raw.consumedPerSecond)} | ${fixed(consumed[index] ?? Number.NaN)}× |`)
    })
    medians.push(`${compression}: produced ${fixed(median(produced))}×, consumed ${fixed(median(consumed))}×`)
  }
  return `${lines.join('\n')}\n\nMedian kafka-ipc ÷ batched raw over the rounds — ${medians.join('; ')}.`
}
