import { KafkaIpcError } from './kafka-ipc-error.ts'
import type { Schema } from './schema.ts'

/** HTTP methods a route may use. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

const methods = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** `'/bookings/:id/seats/:seat'` → `{ id: string; seat: string }`. */
export type PathParams<Path extends string> = Path extends `${string}:${infer Param}/${infer Rest}`
  ? { [K in Param]: string } & PathParams<`/${Rest}`>
  : Path extends `${string}:${infer Param}`
    ? { [K in Param]: string }
    : // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- no parameters: an empty object is exactly the type
      Record<never, never>

type MethodOf<Spec extends string> = Spec extends `${infer M extends HttpMethod} ${string}` ? M : never
type PathOf<Spec extends string> = Spec extends `${HttpMethod} ${infer P}` ? P : never

/** A route spec such as `'POST /quotes'` or `'GET /bookings/:id'`. */
export type RouteSpec = `${HttpMethod} /${string}`

/** Request-reply: one request to one service, one reply. */
export interface RouteContract<Path extends string = string, Body extends Schema | undefined = Schema | undefined, Reply extends Schema | undefined = Schema | undefined> {
  readonly kind: 'route'
  readonly service: string
  readonly method: HttpMethod
  readonly path: Path
  readonly body: Body
  readonly reply: Reply
}

/** One request, many items from one responder, then an end. */
export interface StreamContract<Path extends string = string, Body extends Schema | undefined = Schema | undefined, Item extends Schema | undefined = Schema | undefined> {
  readonly kind: 'stream'
  readonly service: string
  readonly method: HttpMethod
  readonly path: Path
  readonly body: Body
  readonly item: Item
}

/** A one-way event, delivered to every subscribing service. */
export interface EventContract<Body extends Schema | undefined = Schema | undefined> {
  readonly kind: 'event'
  readonly name: string
  readonly body: Body
}

/** One request answered by every service that takes part, collected by the caller. */
export interface GatherContract<Body extends Schema | undefined = Schema | undefined, Reply extends Schema | undefined = Schema | undefined> {
  readonly kind: 'gather'
  readonly name: string
  readonly body: Body
  readonly reply: Reply
}

/** Any contract a service can handle. */
export type AnyContract = RouteContract | StreamContract | EventContract | GatherContract

const namePattern = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$/

const servicePattern = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$/
const reservedServiceNames = new Set(['event', 'gather', 'inbox'])

/**
 * Checks a service name: letters, digits, `_`, `-` — no dots, and not `event`, `gather` or
 * `inbox`, so `<prefix>.<service>.requests` can never be another kind's topic or group name.
 */
export function checkServiceName(name: string): string {
  if (!servicePattern.test(name) || reservedServiceNames.has(name.toLowerCase())) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Service name ${JSON.stringify(name)} must be letters, digits, '_' and '-' (no dots, at most 100) and not one of event, gather, inbox.`)
  }
  return name
}

/** Checks an event or gather name: letters, digits, `.`, `_`, `-`; up to 100 characters. */
export function checkName(what: string, name: string): string {
  if (!namePattern.test(name)) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${what} name ${JSON.stringify(name)} must start with a letter or digit and contain only letters, digits, '.', '_' and '-' (at most 100).`)
  }
  return name
}

function parseSpec(spec: string): { method: HttpMethod; path: string } {
  const match = /^([A-Z]+) (\/[^\s?#]*)$/.exec(spec)
  if (match?.[1] === undefined || match[2] === undefined || !methods.has(match[1])) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Route ${JSON.stringify(spec)} must look like 'POST /quotes' (methods: ${[...methods].join(', ')}).`)
  }
  return { method: match[1] as HttpMethod, path: match[2] }
}

/**
 * Declares a request-reply route of `service`, shared by the caller and the handler.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * export const quote = route('pricing', 'POST /quotes', {
 *   body: z.object({ from: z.string(), to: z.string() }),
 *   reply: z.object({ price: z.number() }),
 * })
 * ```
 */
export function route<const Spec extends RouteSpec, Body extends Schema | undefined = undefined, Reply extends Schema | undefined = undefined>(
  service: string,
  spec: Spec,
  schemas: { readonly body?: Body; readonly reply?: Reply } = {},
): RouteContract<PathOf<Spec>, Body, Reply> & { readonly method: MethodOf<Spec> } {
  const { method, path } = parseSpec(spec)
  return Object.freeze({ kind: 'route', service: checkServiceName(service), method, path, body: schemas.body, reply: schemas.reply }) as RouteContract<PathOf<Spec>, Body, Reply> & {
    readonly method: MethodOf<Spec>
  }
}

/**
 * Declares a streaming route: the handler is an async generator, the caller iterates the items.
 *
 * @example
 * ```ts
 * export const search = stream('offers', 'POST /search', { body: SearchRequest, item: Fare })
 * ```
 */
export function stream<const Spec extends RouteSpec, Body extends Schema | undefined = undefined, Item extends Schema | undefined = undefined>(
  service: string,
  spec: Spec,
  schemas: { readonly body?: Body; readonly item?: Item } = {},
): StreamContract<PathOf<Spec>, Body, Item> {
  const { method, path } = parseSpec(spec)
  return Object.freeze({ kind: 'stream', service: checkServiceName(service), method, path, body: schemas.body, item: schemas.item }) as StreamContract<PathOf<Spec>, Body, Item>
}

/**
 * Declares an event. Every service that subscribes receives each event once per service.
 *
 * @example
 * ```ts
 * export const booked = event('booking.created', { body: z.object({ id: z.string() }) })
 * ```
 */
export function event<Body extends Schema | undefined = undefined>(name: string, schemas: { readonly body?: Body } = {}): EventContract<Body> {
  return Object.freeze({ kind: 'event', name: checkName('Event', name), body: schemas.body }) as EventContract<Body>
}

/**
 * Declares a gather: one request that several services answer, collected by the caller until an
 * expected count or the deadline.
 *
 * @example
 * ```ts
 * export const holdSeats = gather('seats.hold', { body: HoldRequest, reply: Hold })
 * ```
 */
export function gather<Body extends Schema | undefined = undefined, Reply extends Schema | undefined = undefined>(
  name: string,
  schemas: { readonly body?: Body; readonly reply?: Reply } = {},
): GatherContract<Body, Reply> {
  return Object.freeze({ kind: 'gather', name: checkName('Gather', name), body: schemas.body, reply: schemas.reply }) as GatherContract<Body, Reply>
}

/** Fills `:param` segments of a path; values are URI-encoded. Throws when one is missing. */
export function fillPath(path: string, params: Readonly<Record<string, string>> | undefined): string {
  // Most paths have no parameter: every call to them skips the regular expression's pass.
  if (!path.includes(':')) return path
  // A parameter is the whole segment after ':', as PathParams and the Router read it.
  return path.replace(/:([^/]+)/g, (_, name: string) => {
    const value = params?.[name]
    if (value === undefined) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Path ${path} needs the parameter "${name}".`)
    return encodeURIComponent(value)
  })
}
