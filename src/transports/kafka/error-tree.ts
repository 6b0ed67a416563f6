/**
 * Walks an error from @platformatic/kafka — nested aggregates and causes — visiting each node
 * once, outermost first.
 *
 * @example
 * ```ts
 * for (const node of errorTree(error)) if (node['apiId'] === 'TOPIC_AUTHORIZATION_FAILED') denied = true
 * ```
 */
export function* errorTree(error: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (typeof error !== 'object' || error === null || depth > 6) return
  const node = error as Record<string, unknown>
  yield node
  const { errors, cause } = node as { errors?: unknown; cause?: unknown }
  if (Array.isArray(errors)) for (const inner of errors) yield* errorTree(inner, depth + 1)
  if (cause !== undefined) yield* errorTree(cause, depth + 1)
}
