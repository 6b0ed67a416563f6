import { checkOutgoingHeaders } from '../protocol/headers.ts'
import type { HookRegistry } from './hooks.ts'
import type { ClientHooks, ExchangeInfo } from './phases.ts'

/**
 * The application's headers plus those the `beforeSend` hooks add — of a request or an event; a
 * hook's KafkaIpcError fails the call before anything is sent. Callers skip it when no
 * `beforeSend` hook is registered.
 *
 * @example
 * ```ts
 * if (hooks.has('beforeSend')) headers = await beforeSendHeaders(hooks, headers, info, body)
 * ```
 */
export async function beforeSendHeaders(hooks: HookRegistry<ClientHooks>, given: Map<string, string> | undefined, info: ExchangeInfo, body: unknown): Promise<Map<string, string>> {
  // A call or emit without headers has no map until a hook may add to it.
  const headers = given ?? new Map<string, string>()
  const added: Record<string, string> = Object.create(null) as Record<string, string>
  await hooks.run('beforeSend', {
    ...info,
    body,
    headers: Object.fromEntries(headers),
    setHeader: (name, value) => {
      added[name] = value
    },
  })
  for (const [name, value] of checkOutgoingHeaders(added)) headers.set(name, value)
  return headers
}
