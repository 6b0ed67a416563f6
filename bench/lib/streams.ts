// kafka-ipc streams: a Service whose async-generator handler yields N small items, and a Client
// iterating them; parts per second and the time to the first item. One Service and one Client
// serve every stream of a measurement, as a long-running pair would.
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { Client } from '../../src/core/client.ts'
import { stream } from '../../src/core/contracts.ts'
import { definePolicy } from '../../src/core/policy.ts'
import { Service } from '../../src/core/service.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { percentile } from './measure.ts'
import { log } from './run-env.ts'

/** `{ count }` in, `{ n }` items out (about 10 bytes of JSON each), zod-validated on both sides. */
export const countStream = stream('bench-streamer', 'POST /count', { body: z.object({ count: z.number().int() }), item: z.object({ n: z.number().int() }) })

/** One long stream. */
export interface StreamRun {
  readonly items: number
  readonly totalMs: number
  readonly perSecond: number
  /** From iterating the stream (the request is sent then) to the first item. */
  readonly firstItemMs: number
}

/** Long streams one after another, and the time to the first item over many short streams. */
export interface StreamResult {
  readonly runs: readonly StreamRun[]
  /** Time to the first item over many short streams. */
  readonly firstItemP50Ms: number
  readonly firstItemP99Ms: number
  readonly shortStreams: number
}

/** `shortStreams` streams of 10 items that time the first item, then `runs` streams of `items`. */
export async function measureStream(brokers: string[], options: { items: number; runs: number; shortStreams: number }): Promise<StreamResult> {
  const policy = definePolicy({ prefix: `bench-st-${randomUUID().slice(0, 8)}`, partitions: 6 })
  const serverTransport = kafkaTransport({ brokers })
  const clientTransport = kafkaTransport({ brokers })
  // A stream handler is an async generator even when, as here, it has nothing to await.
  // eslint-disable-next-line @typescript-eslint/require-await
  const service = new Service({ name: 'bench-streamer', policy, transport: serverTransport }).handle(countStream, async function* (req) {
    for (let n = 0; n < req.body.count; n++) yield { n }
  })
  const client = new Client({ name: 'bench-reader', policy, transport: clientTransport })
  try {
    await service.listen()
    await client.ready()
    const timeOne = async (count: number): Promise<{ firstMs: number; totalMs: number; items: number }> => {
      const began = performance.now()
      let firstMs = Number.NaN
      let items = 0
      for await (const item of client.stream(countStream, { body: { count }, timeout: 30 * 60_000 })) {
        if (items === 0) firstMs = performance.now() - began
        if (item.n !== items) throw new Error(`item ${items} arrived as ${item.n}`)
        items++
      }
      return { firstMs, totalMs: performance.now() - began, items }
    }
    log(`kafka-ipc stream: ${options.shortStreams} streams of 10 items (time to first item)…`)
    const firsts: number[] = []
    for (let i = 0; i < options.shortStreams; i++) firsts.push((await timeOne(10)).firstMs)
    firsts.sort((a, b) => a - b)
    const runs: StreamRun[] = []
    for (let run = 1; run <= options.runs; run++) {
      log(`kafka-ipc stream: stream ${run} of ${options.runs}, ${options.items} items…`)
      const long = await timeOne(options.items)
      runs.push({ items: long.items, totalMs: long.totalMs, perSecond: (long.items / long.totalMs) * 1000, firstItemMs: long.firstMs })
    }
    return {
      runs,
      firstItemP50Ms: percentile(firsts, 50),
      firstItemP99Ms: percentile(firsts, 99),
      shortStreams: firsts.length,
    }
  } finally {
    await client.close()
    await service.close()
    await Promise.all([serverTransport.close(), clientTransport.close()])
  }
}
