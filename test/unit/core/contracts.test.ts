// Contracts at run time: names that keep topic names unambiguous, route specs, path filling, and
// the validation every body and reply goes through.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { event, fillPath, gather, route, stream } from '../../../src/core/contracts.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { typed, validate } from '../../../src/core/schema.ts'

const invalidArgument = (pattern: RegExp) => (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && pattern.test(error.message)

describe('contracts', () => {
  it('parse the method and path of a route or stream, and are frozen', () => {
    const quote = route('pricing', 'POST /quotes/:currency')
    assert.deepEqual([quote.kind, quote.service, quote.method, quote.path], ['route', 'pricing', 'POST', '/quotes/:currency'])
    assert.ok(Object.isFrozen(quote))
    assert.equal(stream('offers', 'GET /fares').kind, 'stream')
    for (const spec of ['post /x', 'FETCH /x', 'POST x', 'POST /x?y=1', 'POST /x#y', 'POST  /x']) assert.throws(() => route('pricing', spec as 'POST /x'), invalidArgument(/must look like 'POST \/quotes'/), spec)
  })

  it('refuse service names that could collide with other topics: dots, reserved words, bad characters', () => {
    for (const name of ['pricing.v2', 'event', 'Gather', 'inbox', '-pricing', '', 'a'.repeat(101), 'pri cing']) {
      assert.throws(() => route(name, 'GET /x'), invalidArgument(/Service name/), JSON.stringify(name))
    }
    assert.equal(route('pricing_v2-eu', 'GET /x').service, 'pricing_v2-eu')
  })

  it('allow dots in event and gather names, nothing else unusual', () => {
    assert.equal(event('booking.created').name, 'booking.created')
    assert.equal(gather('seats.hold').name, 'seats.hold')
    assert.throws(() => event('booking created'), invalidArgument(/Event name/))
    assert.throws(() => gather('.hidden'), invalidArgument(/Gather name/))
  })

  it('fill path parameters URI-encoded, and name a missing one', () => {
    assert.equal(fillPath('/quotes/:currency/:day', { currency: 'EUR', day: '2026/12/02' }), '/quotes/EUR/2026%2F12%2F02')
    assert.throws(() => fillPath('/quotes/:currency', {}), invalidArgument(/needs the parameter "currency"/))
  })
})

describe('validate', () => {
  it('returns the schema output, or throws the given code listing at most ten issues with their paths', () => {
    const schema = z.object({ n: z.coerce.number(), tags: z.array(z.string()) })
    assert.deepEqual(validate(schema, { n: '7', tags: [] }, 'KIPC_BAD_REQUEST', 'request body'), { n: 7, tags: [] })
    const error: unknown = failureOf(() => validate(schema, { n: 'x', tags: [1] }, 'KIPC_BAD_REQUEST', 'request body'))
    assert.ok(isKafkaIpcError(error, 'KIPC_BAD_REQUEST'))
    assert.match(error.message, /^Invalid request body: n: .*; tags\.0: /)
    const many = z.object(Object.fromEntries(Array.from({ length: 15 }, (_, index) => [`f${index}`, z.string()])))
    const manyError: unknown = failureOf(() => validate(many, {}, 'KIPC_INVALID_REPLY', 'reply'))
    assert.equal((manyError as { details: { issues: string[] } }).details.issues.length, 10)
  })

  it('answers a synchronous schema at once and an asynchronous one with a promise that rejects', async () => {
    const sync = z.object({ n: z.number() })
    assert.deepEqual(validate(sync, { n: 1 }, 'KIPC_BAD_REQUEST', 'n'), { n: 1 })
    const slow = z.object({ n: z.number() }).refine((value) => Promise.resolve(value.n > 0), 'n must be positive')
    const answered = validate(slow, { n: 2 }, 'KIPC_BAD_REQUEST', 'n')
    assert.ok(answered instanceof Promise)
    assert.deepEqual(await answered, { n: 2 })
    const refused = validate(slow, { n: -1 }, 'KIPC_BAD_REQUEST', 'n')
    assert.ok(refused instanceof Promise)
    await assert.rejects(refused, (error: unknown) => isKafkaIpcError(error, 'KIPC_BAD_REQUEST') && /n must be positive/.test(error.message))
  })

  it('passes values through without a schema or with typed<T>()', async () => {
    const value = { anything: true }
    assert.equal(await validate(undefined, value, 'KIPC_BAD_REQUEST', 'x'), value)
    assert.equal(await validate(typed<{ anything: boolean }>(), value, 'KIPC_BAD_REQUEST', 'x'), value)
  })
})

/** What `run` throws, or fails if it returns. */
function failureOf(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  assert.fail('expected a throw')
}
