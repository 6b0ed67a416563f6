import { createHash } from 'node:crypto'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import { newMessageId } from '../../core/protocol/message-id.ts'
import { forward, type ForwardedCall, type GatewayClient } from './forward.ts'
import { resultsFolder } from './gateway-path.ts'
import type { ResultStore } from './result-store.ts'
import { replay, storeResponse, type StoredResponse } from './stored-response.ts'

/**
 * What the calls whose answer is kept need: the client, the store, and where results are polled.
 *
 * @example
 * ```ts
 * const deps: StoredCallDeps = { client, store: new ResultStore(), basePath: '/api' }
 * ```
 */
export interface StoredCallDeps {
  readonly client: GatewayClient
  readonly store: ResultStore
  readonly basePath: string
}

const encoder = new TextEncoder()

/**
 * `Prefer: respond-async`: sends the call, keeps its answer under a new unguessable id, and
 * returns at once the `202 Accepted` to give, whose `location` is where to poll. The call runs to
 * its deadline whether or not anybody waits. The result id is not the message id: whoever holds
 * it reads the answer, and message ids appear in logs.
 *
 * @example
 * ```ts
 * return replay(acceptAsync(deps, call)) // 202, location: /_results/<id>
 * ```
 */
export function acceptAsync(deps: StoredCallDeps, call: ForwardedCall): StoredResponse {
  const id = newMessageId()
  deps.store.start(resultKey(id), undefined, () => run(deps, call))
  return pendingAnswer(deps.basePath, id, [['preference-applied', 'respond-async']])
}

/**
 * A request with an `Idempotency-Key`: the first one is sent (the key as its message id and
 * record key) and its answer kept; a retry with the same key — while the first is in flight or
 * after it finished, within the TTL — waits for and gets that same answer, marked
 * `idempotent-replayed: true`, and nothing is sent again. The same key on a different request
 * (method, URL or body) is refused with `422`. A failure before the request was sent (an unknown
 * service, the broker out of reach) is not kept, so a retry sends it; a passed deadline is kept —
 * the request may have run, and the service drops a copy of an id it has seen.
 *
 * @example
 * ```ts
 * return idempotent(deps, { ...call, id: 'order-7f3a9c2e-0001' }, false)
 * ```
 */
export async function idempotent(deps: StoredCallDeps, call: ForwardedCall & { readonly id: string }, respondAsync: boolean): Promise<Response> {
  const key = `idempotency:${call.id}`
  const fingerprint = digest(call)
  const existing = deps.store.get(key)
  if (existing !== undefined) {
    if (existing.fingerprint !== fingerprint) {
      throw new KafkaIpcError('KIPC_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${call.id} was already used for a different request (method, URL or body); send a new key for a new request.`)
    }
    return replay(existing.result ?? (await existing.done), { 'idempotent-replayed': 'true' })
  }
  if (respondAsync) {
    // Room for both entries before anything is sent: a call whose 202 could not be kept for the
    // retry would be sent twice.
    deps.store.reserve(2)
    const answer = acceptAsync(deps, call)
    deps.store.start(key, fingerprint, () => Promise.resolve(answer))
    return replay(answer)
  }
  const entry = deps.store.start(key, fingerprint, () => run(deps, call))
  const result = await entry.done
  if (result.resendable) deps.store.delete(key, entry)
  return replay(result)
}

/**
 * A poll of `<basePath>/_results/<id>`: `202` with `retry-after` while the call is in flight,
 * then its answer — status, headers, body — once, after which the id is forgotten. An id this
 * gateway does not hold (never issued, delivered, expired, or issued by another instance) is
 * `404 KIPC_NOT_FOUND`.
 *
 * @example
 * ```ts
 * return pollResult(deps, 'Xq3…') // 202 while pending, then the stored answer
 * ```
 */
export function pollResult(deps: StoredCallDeps, id: string): Response {
  const key = resultKey(id)
  const entry = deps.store.get(key)
  if (entry === undefined) {
    throw new KafkaIpcError('KIPC_NOT_FOUND', `No result ${id} is kept here: it was never issued, was already delivered, expired, or was issued by another gateway instance.`)
  }
  if (entry.result === undefined) return replay(pendingAnswer(deps.basePath, id, []))
  deps.store.delete(key, entry)
  return replay(entry.result)
}

function run(deps: StoredCallDeps, call: ForwardedCall): Promise<StoredResponse> {
  return forward(deps.client, call).then(({ response, resendable }) => storeResponse(response, deps.store.limits.maxBodyBytes, resendable))
}

/** `202 Accepted` with where to poll: the answer to an async request, and to a poll while it runs. */
function pendingAnswer(basePath: string, id: string, extra: readonly (readonly [string, string])[]): StoredResponse {
  const location = `${basePath}/${resultsFolder}/${id}`
  const headers: (readonly [string, string])[] = [['content-type', 'application/json'], ['location', location], ['retry-after', '1'], ...extra]
  return { status: 202, headers, body: encoder.encode(JSON.stringify({ id, location })), resendable: false }
}

function resultKey(id: string): string {
  return `result:${id}`
}

/**
 * What makes two requests the same request: method, URL (service, path, query), who asks (the
 * `authorization` and `cookie` headers — another caller who learns a key must not be handed the
 * first caller's answer) and body.
 */
function digest(call: ForwardedCall): string {
  return createHash('sha256')
    .update(`${call.method} ${call.url}\n`)
    .update(`authorization: ${call.headers.get('authorization') ?? ''}\ncookie: ${call.headers.get('cookie') ?? ''}\n`)
    .update(call.body ?? new Uint8Array(0))
    .digest('base64url')
}
