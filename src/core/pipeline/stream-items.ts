import type { HandlerContext, IncomingRequest } from '../handler-types.ts'
import { ItemChunker } from '../item-chunker.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import type { EnvelopeFields } from '../protocol/envelope.ts'
import { validate } from '../schema.ts'
import type { CreditWindow } from '../stream-credit.ts'
import type { Registered, ServicePipelineDeps } from './service-pipeline.ts'

/**
 * Sends a generator's items in order — one `item` record, or an `items` record carrying every item
 * yielded while the previous record was on its way ({@link ItemChunker}) — each record with this
 * instance's inbox so the caller's cancel comes back here; then the end marker. A cancel or the
 * deadline closes the generator (its `finally` runs) and nothing more is sent.
 *
 * With a credit window (the request announced `kipc-window`, docs/protocol.md §9) at most that many
 * items go out ahead of what the caller has read: the generator is not pulled again until a
 * credit makes room, and a caller that stops reading holds the stream there until its deadline.
 * Each item record then carries the window, telling the caller to send credit.
 */
export async function streamItems(
  deps: Pick<ServicePipelineDeps, 'inboxAddress' | 'policy'>,
  registered: Extract<Registered, { kind: 'stream' }>,
  request: IncomingRequest,
  context: HandlerContext,
  send: (kind: 'item' | 'items' | 'end', fields: EnvelopeFields, body: unknown) => Promise<void>,
  credit?: CreditWindow,
): Promise<void> {
  const replyTo = deps.inboxAddress()
  const itemSchema = deps.policy.validateReplies ? (registered.contract.item) : undefined
  const iterator = registered.handler(request, context)[Symbol.asyncIterator]()
  const stop = (): void => {
    void iterator.return?.()
  }
  context.signal.addEventListener('abort', stop, { once: true })
  const window = credit?.window
  const chunker = new ItemChunker((items, seq) =>
    items.length === 1 ? send('item', { seq, status: checkStatus(context.status), replyTo, window }, items[0]) : send('items', { seq, status: checkStatus(context.status), replyTo, window }, items),
  )
  try {
    for (;;) {
      const next = await iterator.next()
      if (context.signal.aborted) throw context.signal.reason
      if (next.done === true) break
      const item = await validate(itemSchema, next.value, 'KIPC_INVALID_REPLY', 'stream item')
      // Room in the window costs nothing; a full one waits for credit (or the signal's reason).
      const waiting = credit?.reserve(context.signal)
      if (waiting !== undefined) await waiting
      await chunker.add(item)
    }
    const seq = await chunker.finish()
    // A cancel may land while the last records are acknowledged; read the flag afresh.
    if ((context.signal as { readonly aborted: boolean }).aborted) throw context.signal.reason
    await send('end', { seq, status: checkStatus(context.status) }, undefined)
  } catch (error) {
    // Cancelled or past the deadline: nothing more goes out. Otherwise the items yielded before
    // the failure are sent first, so the caller gets them and then the error, in that order.
    if (context.signal.aborted) chunker.abandon()
    else await chunker.finish().catch(() => undefined)
    await iterator.return?.()
    throw error
  } finally {
    context.signal.removeEventListener('abort', stop)
  }
}

/** A handler's status must be a final HTTP status (1xx are interim ones); anything else is the handler's bug. */
export function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new KafkaIpcError('KIPC_HANDLER_ERROR', `The handler answered with status ${String(status)}; a status is an integer from 200 to 599.`)
  return status
}
