// One instance of the fault tests' fleet, in its own process so that it can be SIGKILLed or
// SIGTERMed: $ROLE `responder` answers `work` (taking $HANDLER_MS per request) and prints
// `done <id> <message id> <started at>` when a handler finished (ids from $SLOW_FROM_ID take 2 s
// more, and print `slow <id>` as they start); `subscriber` prints `event <id> <message id> <started
// at>` per `tick` handled; `caller` sends $CALLS requests with ids from $FIRST_ID and prints
// `answer <id>` per reply. Every role prints `ready` once it listens. $DEDUPE_URL gives responders
// and subscribers a PostgreSQL store, and they print `recorded <message id> <at>` once the store
// has a run's end (instance-process.ts, ranAfterRecorded). Times are epoch ms with fractions.
// SIGTERM closes the instance gracefully, as createService's shutdown does.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { Client } from '../../src/core/client.ts'
import { definePolicy } from '../../src/core/policy.ts'
import { Service } from '../../src/core/service.ts'
import type { DeduplicationStore } from '../../src/core/deduplication-store.ts'
import { postgresDeduplicationStore } from '../../src/stores/postgres-deduplication-store.ts'
import { kafkaTransport } from '../../src/transports/kafka/kafka-transport.ts'
import { tick, work } from './request-load.ts'

const env = (name: string, fallback: string): string => process.env[name] ?? fallback
const role = env('ROLE', 'responder')
const handlerMs = Number(env('HANDLER_MS', '0'))
const slowFrom = Number(env('SLOW_FROM_ID', String(Number.MAX_SAFE_INTEGER)))
const policy = definePolicy({ prefix: env('KIPC_PREFIX', ''), partitions: 6, replication: 3, timeoutMs: 30_000 })
const transport = kafkaTransport({ tuning: {} })
const print = (line: string): void => {
  process.stdout.write(`${line}\n`)
}
/** Epoch ms with fractions: comparable between processes on one machine. */
const now = (): number => performance.timeOrigin + performance.now()

/**
 * The store, telling when it has a run's end: a run killed after its handler finished but before
 * the store recorded that is rightly run again by the next owner — only a run after `recorded`
 * is one too many.
 */
function announcingEnds(store: DeduplicationStore): DeduplicationStore {
  return {
    claim: (key, leaseMs) => store.claim(key, leaseMs),
    renew: (key, leaseMs) => store.renew(key, leaseMs),
    release: (key) => store.release(key),
    async finish(key, answer) {
      await store.finish(key, answer)
      // The key ends with the message id (runKey in src/core/pipeline/held-claim.ts).
      print(`recorded ${key.slice(key.lastIndexOf('|') + 1)} ${String(now())}`)
    },
  }
}

const url = process.env['DEDUPE_URL']
const deduplication = url === undefined ? {} : { deduplication: announcingEnds(postgresDeduplicationStore({ pool: new pg.Pool({ connectionString: url }) })) }

if (role === 'caller') {
  const client = new Client({ name: 'caller', policy, transport, ownsTransport: true, instanceId: env('INSTANCE', 'c') })
  await client.ready()
  print('ready')
  const first = Number(env('FIRST_ID', '0'))
  for (let id = first; id < first + Number(env('CALLS', '10')); id++) {
    void client.call(work, { body: { id }, key: String(id) }).then(
      () => {
        print(`answer ${String(id)}`)
      },
      () => undefined,
    )
  }
  // Lives until it is killed.
  await new Promise(() => undefined)
} else {
  const service = new Service({ name: 'faulty', policy, transport, ownsTransport: true, instanceId: env('INSTANCE', 'r'), ...deduplication })
  if (role === 'responder') {
    service.handle(work, async (request) => {
      const startedAt = now()
      if (handlerMs > 0) await sleep(handlerMs)
      // The requests of a caller the test kills take longer: they are answered after it died.
      if (request.body.id >= slowFrom) {
        print(`slow ${String(request.body.id)}`)
        await sleep(2_000)
      }
      print(`done ${String(request.body.id)} ${request.id} ${String(startedAt)}`)
      return { id: request.body.id }
    })
  } else {
    service.on(tick, (event) => {
      print(`event ${String(event.body.id)} ${event.id} ${String(now())}`)
    })
  }
  process.once('SIGTERM', () => {
    void service.close().then(() => {
      print('closed')
      process.exit(0)
    })
  })
  await service.listen()
  print('ready')
  // Each change of the partitions it holds goes to stderr with the time: a scenario that lost
  // calls prints it, to show which partition nobody held or fetched.
  let held = ''
  setInterval(() => {
    const now = service
      .assignments()
      .map(({ topic, partition }) => `${topic.slice(topic.lastIndexOf('.') + 1)}/${String(partition)}`)
      .sort()
      .join(' ')
    if (now === held) return
    held = now
    process.stderr.write(`${new Date().toISOString()} holds [${now}]\n`)
  }, 200).unref()
}
