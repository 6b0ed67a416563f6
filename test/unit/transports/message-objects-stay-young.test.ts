// The objects a message is carried in — the record built to send, the list a send hands the
// transport, the one the producer is handed, the record received, its envelope, the route it
// matched and its handling — are made with `new`, so V8's
// allocation-site pretenuring never moves them to the old generation. Under load each lives as
// long as its message (past young-generation collections), which is what makes V8 allocate an
// object literal's later objects straight in the old generation; there each kept its young header
// map and value alive until the next full collection (docs/performance.md, "Objects that outlive
// a young collection"). The control — a literal of the same fields, held the same way — shows the
// check sees pretenuring where it happens.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import v8 from 'node:v8'
import { jsonCodec } from '../../../src/core/protocol/codec.ts'
import { buildMessage, readEnvelope } from '../../../src/core/protocol/envelope.ts'
import { Handling } from '../../../src/core/pipeline/request-pipeline.ts'
import { type Registered, RouteMatch, type ServicePipelineDeps } from '../../../src/core/pipeline/service-pipeline.ts'
import { oneRecord, type OutgoingMessage } from '../../../src/core/transport.ts'
import type { ReplyTarget } from '../../../src/core/protocol/reply-targets.ts'
import { ProducedRecord, toIncoming, type RawMessage } from '../../../src/transports/kafka/records.ts'

// Test-only: lets this process ask V8 where an object lives.
v8.setFlagsFromString('--allow-natives-syntax')
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- V8's test intrinsic is only reachable through code compiled after the flag is set
const inYoungGeneration = new Function('object', 'return %InYoungGeneration(object)') as (object: unknown) => boolean

/**
 * Holds what `make` returns across many young-generation collections — 50,000–100,000 objects
 * alive at once, as messages in flight are — until V8 has judged where its objects belong, then
 * returns the share of 1,000 fresh ones allocated in the old generation.
 */
function oldGenerationShare(make: (index: number) => object): number {
  const held: object[] = []
  for (let round = 0; round < 40; round++) {
    for (let index = 0; index < 20_000; index++) held.push(make(index))
    if (held.length > 100_000) held.splice(0, 50_000)
  }
  let old = 0
  for (let index = 0; index < 1_000; index++) if (!inYoungGeneration(make(index))) old++
  return old / 1_000
}

const packed = 'v=1;kind=request;id=01J0000000000000000000000;service=caller;reply-to=kipc.inbox.caller.a:0;deadline=1700000000000;method=POST;path=/echo'

function rawRecord(index: number): RawMessage {
  return {
    topic: 'orders.requests',
    partition: 0,
    offset: BigInt(index),
    key: undefined,
    value: Buffer.from('{}'),
    headers: new Map(),
    headerEntries: [[Buffer.from('kipc'), Buffer.from(packed)]],
    timestamp: 0n,
    metadata: {},
    commit: () => undefined,
  } as unknown as RawMessage
}

/**
 * The controls' check: objects of a literal site, held as long as messages are, get allocated in
 * the old generation — any share of them is what the checks below, which ask for none, would see.
 * V8's judgment of a site depends on when collections fall, and on a loaded machine (the test
 * files run side by side on two cores) it may let a site go for a while, so each of up to six
 * attempts compiles a fresh site (`compile`): a miss on one attempt is no miss of the check.
 */
function assertPretenured(compile: () => (index: number) => object): void {
  const shares: number[] = []
  for (let attempt = 0; attempt < 6 && !shares.some((share) => share >= 0.25); attempt++) shares.push(oldGenerationShare(compile()))
  assert.ok(shares.some((share) => share >= 0.25), `old-generation shares: ${shares.join(', ')}`)
}

/** A record to send, made anew for each list: a send's list is made per record, beside it. */
function freshRecord(index: number): OutgoingMessage {
  return { topic: 'orders.requests', key: String(index), headers: new Map(), value: new Uint8Array(1) }
}

describe('message objects stay in the young generation under load', () => {
  it('control: a literal held as long is pretenured', () => {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a new function is a new allocation site
    assertPretenured(() => new Function('index', "return { topic: 'orders.requests', key: String(index), headers: new Map(), value: new Uint8Array(1) }") as (index: number) => object)
  })

  it('the record buildMessage makes', () => {
    assert.equal(oldGenerationShare((index) => buildMessage({ topic: 'orders.requests', key: String(index) }, 'request', { service: 'caller' }, { index }, jsonCodec, 1 << 20)), 0)
  })

  it('control: an array literal held as long is pretenured', () => {
    assertPretenured(() => {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a new function is a new allocation site
      const literal = new Function('record', 'return [record]') as (record: object) => object
      return (index) => literal(freshRecord(index))
    })
  })

  it('the list a send of one record hands the transport', () => {
    assert.equal(oldGenerationShare((index) => oneRecord(freshRecord(index))), 0)
  })

  it('the route a request matched', () => {
    const registered = {} as Registered
    assert.equal(oldGenerationShare((index) => new RouteMatch(registered, { id: String(index) })), 0)
  })

  it('the record handed to the producer', () => {
    const headers = new Map([['kipc', packed]])
    assert.equal(oldGenerationShare((index) => new ProducedRecord('orders.requests', index % 6, undefined, new Uint8Array(1), headers)), 0)
  })

  it('the record received, and its envelope', () => {
    assert.equal(oldGenerationShare((index) => toIncoming(rawRecord(index))), 0)
    const headers = new Map([['kipc', packed]])
    assert.equal(oldGenerationShare(() => readEnvelope(headers)), 0)
  })

  it("a request's handling", () => {
    const message = toIncoming(rawRecord(1))
    const envelope = readEnvelope(message.headers)
    const deps = {} as ServicePipelineDeps
    const target = {} as ReplyTarget
    assert.equal(oldGenerationShare((index) => new Handling(deps, envelope, message, undefined, target, index, {}, undefined, undefined)), 0)
  })
})
