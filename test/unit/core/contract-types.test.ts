// Type tests for contracts: what a contract's schemas say must reach the handler, the caller and
// the event subscriber, and misuse must not compile. `npx tsc --noEmit -p .` checks them; the
// exported functions holding them are never called (nothing listens, nothing is sent). Each
// `@ts-expect-error` marks a line that must fail to compile, for the reason given after it.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import type { GatherAnswer, GatherResult } from '../../../src/core/call-types.ts'
import { Client } from '../../../src/core/client.ts'
import { event, fillPath, gather, type PathParams, route, type RouteSpec, stream } from '../../../src/core/contracts.ts'
import type { EventContext, HandlerContext, IncomingEvent, IncomingRequest } from '../../../src/core/handler-types.ts'
import { isKafkaIpcError, type RemoteError } from '../../../src/core/kafka-ipc-error.ts'
import type { RemoteStream } from '../../../src/core/remote-stream.ts'
import { type InferIn, type InferOut, typed, validate } from '../../../src/core/schema.ts'
import { Service } from '../../../src/core/service.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'

// ---------------------------------------------------------------------------------------------
// Helpers: exact type equality, checked at compile time only.

/** True when A and B are the same type (not merely mutually assignable). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the usual exact-equality idiom needs them
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** `expectType<Expected>()(value)` compiles only when the value's type is exactly Expected. */
function expectType<Expected>(): <Actual>(value: Actual, ...exact: Equal<Actual, Expected> extends true ? [] : [`type differs from expected`]) => void {
  return () => undefined
}

/** Reads a value, so a line can consist of a property access under test. */
function use(value: unknown): unknown {
  return value
}

/** `expectTrue<Equal<A, B>>(true)`: for checks on types with no value at hand. */
function expectTrue<T extends true>(value: T): T {
  return value
}

// ---------------------------------------------------------------------------------------------
// Contracts whose schemas have an input type (what a sender passes) different from their output
// type (what a receiver gets): defaults and transforms.

/** Input `{ from; to; seats?: number }`, output `{ from; to; seats: number }`. */
const QuoteRequest = z.object({ from: z.string(), to: z.string(), seats: z.number().default(1) })
/** Input `{ amount: string; currency: 'EUR' }`, output `{ amount: number; currency: 'EUR' }`. */
const Price = z.object({ amount: z.string().transform(Number), currency: z.literal('EUR') })
/** Input `{ code: string }`, output `{ code: string; cabin: 'economy' | 'business' }`. */
const Fare = z.object({ code: z.string(), cabin: z.enum(['economy', 'business']).default('economy') })
/** Input `{ id: string; at: string }`, output `{ id: string; at: Date }`. */
const Booked = z.object({ id: z.string(), at: z.string().transform((s) => new Date(s)) })
/** Input `{ seats: number }`, output `{ seats: number; hold: boolean }`. */
const HoldRequest = z.object({ seats: z.number(), hold: z.boolean().default(true) })
/** Input `{ ttl: string }`, output `{ ttl: number }`. */
const Hold = z.object({ ttl: z.string().transform(Number) })

type QuoteIn = { from: string; to: string; seats?: number | undefined }
type QuoteOut = { from: string; to: string; seats: number }
type PriceIn = { amount: string; currency: 'EUR' }
type PriceOut = { amount: number; currency: 'EUR' }
type FareIn = { code: string; cabin?: 'economy' | 'business' | undefined }
type FareOut = { code: string; cabin: 'economy' | 'business' }
type BookedIn = { id: string; at: string }
type BookedOut = { id: string; at: Date }
type HoldRequestIn = { seats: number; hold?: boolean | undefined }
type HoldRequestOut = { seats: number; hold: boolean }
type HoldIn = { ttl: string }
type HoldOut = { ttl: number }

const quote = route('pricing', 'POST /quotes', { body: QuoteRequest, reply: Price })
const seat = route('pricing', 'GET /bookings/:id/seats/:seat', { reply: typed<{ free: boolean }>() })
const ping = route('pricing', 'GET /ping')
const search = stream('pricing', 'POST /search/:market', { body: QuoteRequest, item: Fare })
const booked = event('booking.created', { body: Booked })
const tick = event('clock.tick')
const holdSeats = gather('seats.hold', { body: HoldRequest, reply: Hold })

const transport = memoryTransport()
const service = new Service({ name: 'pricing', transport })
const client = new Client({ name: 'booking', transport })

// ---------------------------------------------------------------------------------------------
// The helpers themselves: they must tell types apart, or every check below proves nothing.

export function helperChecks(text: string, required: { a: number }): void {
  expectType<string>()(text)
  // @ts-expect-error -- string is not 'a'
  expectType<'a'>()(text)
  // @ts-expect-error -- any is not number
  expectType<number>()(JSON.parse('1'))
  // @ts-expect-error -- a required property is not an optional one
  expectType<{ a?: number }>()(required)
  expectTrue<Equal<QuoteIn, QuoteIn>>(true)
  // @ts-expect-error -- input and output of a defaulted field differ
  expectTrue<Equal<QuoteIn, QuoteOut>>(true)
}

// ---------------------------------------------------------------------------------------------
// Schemas: InferIn / InferOut read the Standard Schema types of a zod schema.

export function schemaTypes(): void {
  expectTrue<Equal<InferIn<typeof QuoteRequest>, z.input<typeof QuoteRequest>>>(true)
  expectTrue<Equal<InferOut<typeof QuoteRequest>, z.output<typeof QuoteRequest>>>(true)
  expectTrue<Equal<InferIn<typeof Price>, z.input<typeof Price>>>(true)
  expectTrue<Equal<InferOut<typeof Price>, z.output<typeof Price>>>(true)
  // The hand-written input and output types used below are exactly the schemas' own.
  expectTrue<Equal<InferIn<typeof QuoteRequest>, QuoteIn>>(true)
  expectTrue<Equal<InferOut<typeof QuoteRequest>, QuoteOut>>(true)
  expectTrue<Equal<InferIn<typeof Price>, PriceIn>>(true)
  expectTrue<Equal<InferOut<typeof Price>, PriceOut>>(true)
  expectTrue<Equal<InferIn<typeof Fare>, FareIn>>(true)
  expectTrue<Equal<InferOut<typeof Fare>, FareOut>>(true)
  expectTrue<Equal<InferIn<typeof Booked>, BookedIn>>(true)
  expectTrue<Equal<InferOut<typeof Booked>, BookedOut>>(true)
  expectTrue<Equal<InferIn<typeof HoldRequest>, HoldRequestIn>>(true)
  expectTrue<Equal<InferOut<typeof HoldRequest>, HoldRequestOut>>(true)
  expectTrue<Equal<InferIn<typeof Hold>, HoldIn>>(true)
  expectTrue<Equal<InferOut<typeof Hold>, HoldOut>>(true)
  expectTrue<Equal<InferIn<ReturnType<typeof typed<{ n: number }>>>, { n: number }>>(true)
  expectTrue<Equal<InferOut<ReturnType<typeof typed<{ n: number }>>>, { n: number }>>(true)
  // No schema: anything goes in, nothing is known coming out.
  expectTrue<Equal<InferIn<undefined>, unknown>>(true)
  expectTrue<Equal<InferOut<undefined>, unknown>>(true)
}

// ---------------------------------------------------------------------------------------------
// Contracts keep the literal method and path of their spec.

export function contractShapes(): void {
  expectType<'route'>()(quote.kind)
  expectType<'POST'>()(quote.method)
  expectType<'/quotes'>()(quote.path)
  expectType<'/bookings/:id/seats/:seat'>()(seat.path)
  expectType<'GET'>()(ping.method)
  expectType<undefined>()(ping.body)
  expectType<undefined>()(ping.reply)
  expectType<typeof QuoteRequest>()(quote.body)
  expectType<typeof Price>()(quote.reply)
  expectType<'stream'>()(search.kind)
  expectType<'/search/:market'>()(search.path)
  expectType<typeof Fare>()(search.item)
  expectType<'event'>()(booked.kind)
  expectType<typeof Booked>()(booked.body)
  expectType<'gather'>()(holdSeats.kind)
  expectType<typeof Hold>()(holdSeats.reply)

  // PathParams: one string per `:param`, nothing for a path without any.
  expectTrue<Equal<keyof PathParams<'/bookings/:id/seats/:seat'>, 'id' | 'seat'>>(true)
  expectTrue<Equal<PathParams<'/bookings/:id/seats/:seat'>['seat'], string>>(true)
  expectTrue<Equal<keyof PathParams<'/bookings/:id'>, 'id'>>(true)
  expectTrue<Equal<keyof PathParams<'/:a/:b/:c'>, 'a' | 'b' | 'c'>>(true)
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- no params: empty, as src/core/contracts.ts says
  expectTrue<Equal<keyof PathParams<typeof quote.path>, never>>(true)

  // A spec must be `METHOD /path` with a known method.
  // @ts-expect-error -- unknown method
  route('pricing', 'FETCH /quotes')
  // @ts-expect-error -- the path must start with a slash
  route('pricing', 'GET quotes')
  // @ts-expect-error -- lowercase method
  stream('pricing', 'get /search')
  // @ts-expect-error -- a schema must be a Standard Schema
  route('pricing', 'POST /quotes', { body: { from: 'string' } })
  // @ts-expect-error -- a route has a reply, not items
  route('pricing', 'POST /quotes', { item: Fare })
  // @ts-expect-error -- a stream has items, not a reply
  stream('pricing', 'POST /search', { reply: Fare })
}

// ---------------------------------------------------------------------------------------------
// Routes: the handler gets the body's OUTPUT type and returns the reply's INPUT type; the caller
// sends the body's INPUT type and receives the reply's OUTPUT type.

// Literals in replies and items need no `as const`: `handle` takes one conditional handler type,
// not overloads (with overloads TypeScript widened 'EUR' to string).
export function routeHandlers(): void {
  service.handle(quote, async (req, ctx) => {
    expectTrue<Equal<typeof req, IncomingRequest<QuoteOut, typeof req.params>>>(true)
    expectTrue<Equal<keyof typeof req.params, never>>(true)
    expectType<QuoteOut>()(req.body)
    expectType<number>()(req.body.seats)
    expectType<HandlerContext>()(ctx)
    expectType<AbortSignal>()(ctx.signal)
    expectType<string>()(req.id)
    expectType<string | undefined>()(req.key)
    await Promise.resolve()
    ctx.status = 201
    // The reply's input type: amount is a string that the schema turns into a number.
    return { amount: String(req.body.seats * 120), currency: 'EUR' }
  })

  // A handler may also answer synchronously.
  service.handle(quote, () => ({ amount: '1', currency: 'EUR' }))
  service.handle(quote, () => ({ amount: '1', currency: 'EUR' }) satisfies PriceIn)
  // Or be a named function with the parameters spelled out.
  const named = (req: IncomingRequest<QuoteOut>): PriceIn => ({ amount: req.body.from, currency: 'EUR' })
  service.handle(quote, named)

  // Path parameters: both are strings, and no others exist.
  service.handle(seat, (req) => {
    expectType<string>()(req.params.id)
    expectType<string>()(req.params.seat)
    expectTrue<Equal<keyof typeof req.params, 'id' | 'seat'>>(true)
    // @ts-expect-error -- the path has no :row
    use(req.params.row)
    // No body schema: the body is unknown, not any.
    expectType<unknown>()(req.body)
    return { free: true }
  })

  // A route without params has an empty params object.
  service.handle(ping, (req) => {
    expectTrue<Equal<keyof typeof req.params, never>>(true)
    // @ts-expect-error -- no params on /ping
    use(req.params.id)
    // No reply schema: any reply is accepted.
    return 'pong'
  })
}

export function routeHandlerMisuse(): void {
  // @ts-expect-error -- amount must be the schema's input (string), not its output (number)
  service.handle(quote, () => ({ amount: 120, currency: 'EUR' as const }))
  // @ts-expect-error -- a reply of the wrong shape
  service.handle(quote, () => Promise.resolve({ price: 120 }))
  // @ts-expect-error -- currency must be 'EUR'
  service.handle(quote, () => ({ amount: '120', currency: 'USD' as const }))
  // @ts-expect-error -- missing the reply entirely
  service.handle(quote, () => undefined)

  // @ts-expect-error -- the body is the schema's OUTPUT: seats is a number
  service.handle(quote, (req: IncomingRequest<{ from: string; to: string; seats: string }>) => ({ amount: req.body.seats, currency: 'EUR' as const }))
  // @ts-expect-error -- a handler expecting a different body
  service.handle(quote, (req: IncomingRequest<{ id: number }>) => ({ amount: String(req.body.id), currency: 'EUR' as const }))
  // @ts-expect-error -- a handler expecting params the route does not have
  service.handle(quote, (req: IncomingRequest<QuoteOut, { id: string }>) => ({ amount: req.params.id, currency: 'EUR' as const }))
  // @ts-expect-error -- a handler whose context is not a HandlerContext
  service.handle(quote, (_req: IncomingRequest<QuoteOut>, ctx: EventContext) => ({ amount: ctx.topic, currency: 'EUR' as const }))

  service.handle(quote, (req) => {
    // @ts-expect-error -- the body has no such field
    use(req.body.price)
    // @ts-expect-error -- seats is a number once validated
    const seats: string = req.body.seats
    return { amount: seats, currency: 'EUR' as const }
  })

  // @ts-expect-error -- an event is not handled with handle()
  service.handle(booked, () => undefined)
  // @ts-expect-error -- a stream handler must be an async iterable, not a promise of a reply
  service.handle(search, () => Promise.resolve({ code: 'LO1' }))
}

export async function routeCalls(): Promise<void> {
  const price = await client.call(quote, { body: { from: 'WAW', to: 'JFK' } })
  expectType<PriceOut>()(price)
  expectType<number>()(price.amount)
  // seats has a default: it may be given or left out.
  await client.call(quote, { body: { from: 'WAW', to: 'JFK', seats: 2 }, timeout: 1_000, key: 'k', headers: { 'x-trace': '1' }, signal: AbortSignal.timeout(10) })
  // The service's own call() is the client's.
  expectType<PriceOut>()(await service.call(quote, { body: { from: 'WAW', to: 'JFK' } }))

  // Path parameters are required, by name.
  const free = await client.call(seat, { params: { id: 'B1', seat: '12A' } })
  expectType<{ free: boolean }>()(free)
  // No reply schema: the reply is unknown.
  expectType<unknown>()(await client.call(ping, {}))
}

export async function routeCallMisuse(): Promise<void> {
  // @ts-expect-error -- from must be a string
  await client.call(quote, { body: { from: 1, to: 'JFK' } })
  // @ts-expect-error -- the body is required
  await client.call(quote, {})
  // @ts-expect-error -- to is required
  await client.call(quote, { body: { from: 'WAW' } })
  // @ts-expect-error -- seats must be a number when given
  await client.call(quote, { body: { from: 'WAW', to: 'JFK', seats: '2' } })
  // @ts-expect-error -- the args are required
  await client.call(quote)

  const price = await client.call(quote, { body: { from: 'WAW', to: 'JFK' } })
  // @ts-expect-error -- amount arrives as a number (the reply's output type)
  const amount: string = price.amount
  use(amount)

  // @ts-expect-error -- :seat is missing
  await client.call(seat, { params: { id: 'B1' } })
  // @ts-expect-error -- params are missing
  await client.call(seat, {})
  // @ts-expect-error -- a param must be a string
  await client.call(seat, { params: { id: 'B1', seat: 12 } })
  // @ts-expect-error -- /ping has no params
  await client.call(ping, { params: { id: 'B1' } })
  // @ts-expect-error -- /quotes has no params
  await client.call(quote, { body: { from: 'WAW', to: 'JFK' }, params: { id: 'B1' } })

  // @ts-expect-error -- call() takes a route, not a stream
  await client.call(search, { body: { from: 'WAW', to: 'JFK' }, params: { market: 'PL' } })
  // @ts-expect-error -- call() takes a route, not an event
  await client.call(booked, { body: { id: 'B1', at: '2024-01-01' } })
  // @ts-expect-error -- call() takes a route, not a gather
  await client.call(holdSeats, { body: { seats: 1 } })
}

// ---------------------------------------------------------------------------------------------
// Streams: the handler yields the item's INPUT type; the caller iterates the item's OUTPUT type.

export async function streams(): Promise<void> {
  service.handle(search, async function* (req, ctx) {
    expectType<QuoteOut>()(req.body)
    expectType<string>()(req.params.market)
    expectType<HandlerContext>()(ctx)
    await Promise.resolve()
    yield { code: 'LO1' }
    yield { code: 'LO2', cabin: 'business' }
  })

  const fares = client.stream(search, { body: { from: 'WAW', to: 'JFK' }, params: { market: 'PL' } })
  expectType<RemoteStream<FareOut>>()(fares)
  for await (const fare of fares) {
    expectType<FareOut>()(fare)
    expectType<'economy' | 'business'>()(fare.cabin)
  }
  expectType<RemoteStream<FareOut>>()(service.stream(search, { body: { from: 'WAW', to: 'JFK' }, params: { market: 'PL' } }))
}

export function streamMisuse(): void {
  // @ts-expect-error -- an item of the wrong type
  service.handle(search, async function* () {
    await Promise.resolve()
    yield { code: 1 }
  })
  // @ts-expect-error -- cabin must be one of the enum's values
  service.handle(search, async function* () {
    await Promise.resolve()
    yield { code: 'LO1', cabin: 'first' as const }
  })
  // @ts-expect-error -- a handler typed to yield something else
  service.handle(search, async function* (): AsyncGenerator<string> {
    await Promise.resolve()
    yield 'LO1'
  })
  // @ts-expect-error -- a synchronous generator is not an async iterable
  service.handle(search, function* () {
    yield { code: 'LO1' }
  })
  // @ts-expect-error -- :market is required
  client.stream(search, { body: { from: 'WAW', to: 'JFK' } })
  // @ts-expect-error -- the body is required
  client.stream(search, { params: { market: 'PL' } })
  // @ts-expect-error -- stream() takes a stream, not a route
  client.stream(quote, { body: { from: 'WAW', to: 'JFK' } })
}

// ---------------------------------------------------------------------------------------------
// Events: emit() checks the body's INPUT type; the subscriber gets the OUTPUT type.

export async function events(): Promise<void> {
  await client.emit(booked, { id: 'B1', at: '2024-05-01T10:00:00Z' })
  await client.emit(booked, { id: 'B1', at: '2024-05-01T10:00:00Z' }, { key: 'B1', headers: { 'x-trace': '1' } })
  await service.emit(booked, { id: 'B1', at: '2024-05-01T10:00:00Z' })
  // An event without a body schema takes any body.
  await client.emit(tick, { anything: true })

  service.on(booked, async (evt, ctx) => {
    expectType<IncomingEvent<BookedOut>>()(evt)
    expectType<Date>()(evt.body.at)
    expectType<string | undefined>()(evt.source)
    expectType<EventContext>()(ctx)
    expectType<bigint>()(ctx.offset)
    await Promise.resolve()
  })
  service.on(tick, (evt) => {
    expectType<unknown>()(evt.body)
  })
}

export async function eventMisuse(): Promise<void> {
  // @ts-expect-error -- at is the input string, not the Date the schema makes of it
  await client.emit(booked, { id: 'B1', at: new Date() })
  // @ts-expect-error -- id is missing
  await client.emit(booked, { at: '2024-05-01' })
  // @ts-expect-error -- the body is required
  await client.emit(booked)
  // @ts-expect-error -- emit() takes an event, not a route
  await client.emit(quote, { from: 'WAW', to: 'JFK' })
  // @ts-expect-error -- emit() takes an event, not a gather
  await client.emit(holdSeats, { seats: 1 })

  // @ts-expect-error -- the handler expects another body
  service.on(booked, (evt: IncomingEvent<{ id: number }>) => {
    use(evt.body.id)
  })
  service.on(booked, (evt) => {
    // @ts-expect-error -- at is a Date once validated
    const at: string = evt.body.at
    use(at)
  })
  // @ts-expect-error -- on() takes an event, not a route
  service.on(quote, () => undefined)
}

// ---------------------------------------------------------------------------------------------
// Gathers: the answering handler works like a route's; the caller gets answers whose reply is
// typed only once `ok` says it is there.

export async function gathers(): Promise<void> {
  service.handle(holdSeats, async (req, ctx) => {
    expectType<HoldRequestOut>()(req.body)
    expectType<boolean>()(req.body.hold)
    expectType<HandlerContext>()(ctx)
    await Promise.resolve()
    return { ttl: '30' }
  })

  const result = await client.gather(holdSeats, { body: { seats: 2 }, expect: 3 })
  expectType<GatherResult<HoldOut>>()(result)
  expectType<readonly GatherAnswer<HoldOut>[]>()(result.answers)
  expectType<boolean>()(result.partial)
  expectType<readonly string[]>()(result.missing)
  for (const answer of result.answers) {
    expectType<string>()(answer.service)
    // @ts-expect-error -- reply exists only on an ok answer
    use(answer.reply)
    if (answer.ok) {
      expectType<HoldOut>()(answer.reply)
      expectType<number>()(answer.reply.ttl)
      // @ts-expect-error -- an ok answer has no error
      use(answer.error)
    } else {
      expectType<RemoteError>()(answer.error)
    }
  }
  await client.gather(holdSeats, { body: { seats: 2, hold: false }, expect: ['inventory', 'loyalty'], timeout: 500 })
  await service.gather(holdSeats, { body: { seats: 2 } })
}

export async function gatherMisuse(): Promise<void> {
  // @ts-expect-error -- seats must be a number
  await client.gather(holdSeats, { body: { seats: '2' }, expect: 3 })
  // @ts-expect-error -- the body is required
  await client.gather(holdSeats, { expect: 3 })
  // @ts-expect-error -- expect is a count or a list of services
  await client.gather(holdSeats, { body: { seats: 2 }, expect: 'inventory' })
  // @ts-expect-error -- gather() takes a gather, not a route
  await client.gather(quote, { body: { from: 'WAW', to: 'JFK' } })
  // @ts-expect-error -- the answer's input type is a string ttl
  service.handle(holdSeats, () => ({ ttl: 30 }))
  // @ts-expect-error -- a handler expecting another body
  service.handle(holdSeats, (req: IncomingRequest<{ seats: string }>) => ({ ttl: req.body.seats }))
  // A handler may accept a wider body than the schema's output: here, the input type.
  service.handle(holdSeats, (req: IncomingRequest<HoldRequestIn>) => ({ ttl: String(req.body.seats) }) satisfies HoldIn)
}

// ---------------------------------------------------------------------------------------------
// Runtime: cheap checks that the same declarations behave as their types say.

describe('contract types', () => {
  it('builds contracts with the literal method and path, and rejects bad declarations', () => {
    assert.equal(quote.kind, 'route')
    assert.equal(quote.method, 'POST')
    assert.equal(quote.path, '/quotes')
    assert.equal(quote.body, QuoteRequest)
    assert.equal(ping.body, undefined)
    assert.equal(search.kind, 'stream')
    assert.equal(search.item, Fare)
    assert.equal(booked.name, 'booking.created')
    assert.equal(holdSeats.reply, Hold)
    assert.ok(Object.isFrozen(quote))

    const invalid = (error: unknown): boolean => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT')
    // @ts-expect-error -- rejected by the types, and at run time
    assert.throws(() => route('pricing', 'FETCH /quotes'), invalid)
    // The types cannot see a query string in a spec; the run-time check does.
    assert.throws(() => route('pricing', 'GET /quotes?x=1'), invalid)
    assert.throws(() => stream('pricing', 'GET quotes' as RouteSpec), invalid)
    assert.throws(() => route('pricing service', 'GET /quotes'), invalid)
    assert.throws(() => event('booking created'), invalid)
    assert.throws(() => gather(''), invalid)
  })

  it('fills path params and lets schemas turn input into output', async () => {
    const params: PathParams<typeof seat.path> = { id: 'B 1', seat: '12/A' }
    assert.equal(fillPath(seat.path, params), '/bookings/B%201/seats/12%2FA')
    assert.throws(() => fillPath(seat.path, { id: 'B1' }), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))

    const input: InferIn<typeof Price> = { amount: '12.5', currency: 'EUR' }
    const output = await validate(Price, input, 'KIPC_BAD_REQUEST', 'price')
    expectType<PriceOut>()(output)
    assert.deepEqual(output, { amount: 12.5, currency: 'EUR' })
    const request: QuoteIn = { from: 'WAW', to: 'JFK' }
    assert.deepEqual(await validate(quote.body, request, 'KIPC_BAD_REQUEST', 'quote'), { from: 'WAW', to: 'JFK', seats: 1 } satisfies QuoteOut)

    const carried = typed<{ n: number }>()
    const value = { n: 1 }
    assert.equal(await validate(carried, value, 'KIPC_BAD_REQUEST', 'n'), value)
    assert.throws(() => validate(Price, { amount: 1 }, 'KIPC_BAD_REQUEST', 'price'), (error: unknown) => isKafkaIpcError(error, 'KIPC_BAD_REQUEST'))
  })
})

// ---------------------------------------------------------------------------------------------
// Arguments that are all optional may be left out.
const maybeBody = route('pricing', 'POST /note', { body: z.string().optional() })

export function optionalArguments(): void {
  void client.call(ping)
  void client.call(ping, { timeout: 100 })
  void client.call(maybeBody)
  void client.call(maybeBody, { body: 'note' })
  void client.emit(tick)
  // @ts-expect-error a required body cannot be left out
  void client.call(quote)
  // @ts-expect-error an event with a required body needs it
  void client.emit(booked)
}
