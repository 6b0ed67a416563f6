/**
 * Whether a handler's result is a Web `Response` — asked without reading the global `Response`
 * unless the value could be one. Node defines `Response` (with `Request`, `Headers`, `FormData`)
 * as a lazy global: the first read of it loads Node's whole fetch stack — undici, web streams,
 * `node:http`, `node:http2` — some 3 MiB of a process's memory. A service whose handlers answer
 * with plain bodies never needs it, and `result instanceof Response` on every reply loaded it at
 * the first one: in the middle of the first burst of a load, where everything it loads survives
 * the young collections that decide how large V8 grows its young generation (docs/performance.md).
 *
 * Every Response, a subclass's included, carries the `Symbol.toStringTag` `'Response'` from its
 * prototype; a plain object does not, and is told apart by that one look-up. A value that does is
 * checked with `instanceof`, so an object that only names itself `'Response'` is not one.
 *
 * @example
 * ```ts
 * isWebResponse({ id: 'Q1' })                // false, and Node's fetch stack stays unloaded
 * isWebResponse(new Response('ok'))          // true
 * isWebResponse({ [Symbol.toStringTag]: 'Response' }) // false
 * ```
 */
export function isWebResponse(value: unknown): value is Response {
  return typeof value === 'object' && value !== null && (value as { readonly [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Response' && value instanceof Response
}
