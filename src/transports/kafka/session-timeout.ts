import { errorTree } from './error-tree.ts'

/**
 * The session timeout a broker accepts unless its operator raised the minimum: Kafka's default
 * `group.min.session.timeout.ms`. A subscription whose shorter session the broker refuses joins
 * again with this one.
 */
export const brokerDefaultMinSessionMs = 6_000

/**
 * Whether the broker refused a group join for its session timeout (`INVALID_SESSION_TIMEOUT`: it is
 * outside the broker's `group.min.session.timeout.ms` … `group.max.session.timeout.ms`).
 *
 * @example
 * ```ts
 * if (refusedSessionTimeout(error) && sessionTimeout < brokerDefaultMinSessionMs) sessionTimeout = brokerDefaultMinSessionMs
 * ```
 */
export function refusedSessionTimeout(error: unknown): boolean {
  for (const node of errorTree(error)) if (node['apiId'] === 'INVALID_SESSION_TIMEOUT') return true
  return false
}
