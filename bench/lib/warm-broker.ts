// A freshly started broker is several times slower for its first seconds (JVM JIT, page cache),
// so bench programs warm it before measuring: the first system measured is not penalised, and
// the figures are those of a broker that has been serving, as in a running fleet.
import { measureEvents } from './events.ts'
import { measure } from './measure.ts'
import { startRawEvents } from './raw-events.ts'
import { log } from './run-env.ts'
import { startKafkaIpc } from './systems.ts'

/** 20,000 batched 1 KiB records, then kafka-ipc request-replies: 5,000 at concurrency 64, 2,000 at 1. */
export async function warmBroker(brokers: string[]): Promise<void> {
  log('warming up the broker…')
  const began = performance.now()
  await measureEvents(await startRawEvents(brokers, 6, 'batched'), { total: 20_000, inFlight: 1_000, warmup: 1_000 })
  const system = await startKafkaIpc(brokers)
  try {
    await measure('warm-up', (index) => system.call(index), { total: 5_000, concurrency: 64, warmup: 0 })
    await measure('warm-up', (index) => system.call(index), { total: 2_000, concurrency: 1, warmup: 0 })
  } finally {
    await system.stop()
  }
  log(`broker warm in ${((performance.now() - began) / 1000).toFixed(1)} s`)
}
