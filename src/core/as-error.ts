/**
 * What was thrown, as an Error: itself when it is one, else an Error whose message is its text.
 * For rejecting a promise with whatever a synchronous step threw — a promise's rejection reason
 * should be an Error (lint's prefer-promise-reject-errors), and a thrown string or object must not
 * be lost.
 *
 * @example
 * ```ts
 * try { step() } catch (error) { return Promise.reject(asError(error)) }
 * asError('boom').message // 'boom'
 * ```
 */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown))
}
