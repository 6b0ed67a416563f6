import { concatBytes } from '../http/concat-bytes.ts'
import { responseHeaders } from '../http/web-messages.ts'
import { KafkaIpcError } from '../kafka-ipc-error.ts'
import type { Answers } from './answers.ts'
import type { ServicePipelineDeps } from './service-pipeline.ts'
import { checkStatus } from './stream-items.ts'
import type { CreditWindow } from '../stream-credit.ts'
import { timeUp, waitFor } from '../wait-for.ts'

/**
 * How long a response body may pause between chunks and still go as one `reply`: a body that ends
 * within this of its previous chunk is complete, one that pauses longer is a stream.
 */
export const streamAfterMs = 10


/**
 * Sends a Web `Response` — a mounted app's, or a route handler's — as the request's answers. Its
 * status and headers go on the first record. A body that ends promptly and fits in a record goes
 * as one `reply`; a body that keeps coming (server-sent events, a chunked download) goes as
 * `item` records of its bytes as they are produced, then `end` — so the caller's `fetch()` reads a
 * streaming body. A cancel or the deadline cancels the body. With a credit window (the caller's
 * `fetch()` announced `kipc-window`, docs/protocol.md §9) at most that many items go unread: the
 * body is read no further until credit makes room, so a slow reader slows the app's body, as a
 * slow socket would.
 *
 * @example
 * ```ts
 * await sendResponse(deps, answers, await app.fetch(request), signal)
 * ```
 */
export async function sendResponse(deps: Pick<ServicePipelineDeps, 'inboxAddress' | 'policy'>, answers: Answers, response: Response, signal: AbortSignal, credit?: CreditWindow): Promise<void> {
  const status = checkStatus(response.status)
  answers.respondWith(responseHeaders(response.headers))
  const body = response.body
  if (body === null || answers.bodiless) {
    await body?.cancel().catch(() => undefined)
    if (signal.aborted) throw signal.reason
    await answers.send('reply', { status }, undefined)
    return
  }
  const reader = (body as ReadableStream<unknown>).getReader()
  const onAbort = (): void => {
    reader.cancel(signal.reason).catch(() => undefined)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  const limit = deps.policy.maxMessageBytes
  try {
    const chunks: Uint8Array[] = []
    let size = 0
    let pending = reader.read()
    // The first chunk may take as long as the app needs; after it, a pause means a stream.
    let next: Awaited<typeof pending> | typeof timeUp = await pending
    for (;;) {
      if (next === timeUp || size >= limit) break
      if (next.done) {
        // A cancel or the deadline ends the body early: what was read is not the whole body.
        if (signal.aborted) throw signal.reason
        await answers.send('reply', { status }, concatBytes(chunks, size))
        return
      }
      const chunk = bytesOf(next.value)
      chunks.push(chunk)
      size += chunk.byteLength
      pending = reader.read()
      next = await within(pending, streamAfterMs)
    }
    const replyTo = deps.inboxAddress()
    let seq = 0
    const sendBytes = async (bytes: Uint8Array): Promise<void> => {
      for (let start = 0; start < bytes.byteLength; start += limit) {
        if (signal.aborted) throw signal.reason
        // Room in the window costs nothing; a full one waits for credit (or the signal's reason).
        const waiting = credit?.reserve(signal)
        if (waiting !== undefined) await waiting
        await answers.send('item', { seq: seq++, status, replyTo, stream: 'bytes', window: credit?.window }, bytes.subarray(start, start + limit))
      }
    }
    if (next !== timeUp && !next.done) {
      const chunk = bytesOf(next.value)
      chunks.push(chunk)
      size += chunk.byteLength
      pending = reader.read()
    }
    if (size > 0) await sendBytes(concatBytes(chunks, size))
    for (;;) {
      const read = await pending
      if (read.done) break
      await sendBytes(bytesOf(read.value))
      pending = reader.read()
    }
    if (signal.aborted) throw signal.reason
    await answers.send('end', { seq, status }, undefined)
  } catch (error) {
    reader.cancel(error).catch(() => undefined)
    throw error
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

const encoder = new TextEncoder()

/**
 * A body chunk as bytes. The Fetch standard allows only bytes, but apps hand Node streams of text
 * to `Response` (and Node's own servers write them): strings are taken as UTF-8, anything else is
 * the app's bug, named.
 */
function bytesOf(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk
  if (typeof chunk === 'string') return encoder.encode(chunk)
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk)
  throw new KafkaIpcError('KIPC_HANDLER_ERROR', `A response body chunk must be bytes (or text), got ${chunk === null ? 'null' : typeof chunk}.`)
}

const notYet = Symbol('not yet')
const settled: Promise<typeof notYet> = Promise.resolve(notYet)

/**
 * The read if it comes within `ms`, else {@link timeUp}. A body made whole (from a string or
 * bytes) has its next read settled already: that is taken without arming a timer.
 */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof timeUp> {
  const ready = await Promise.race([promise, settled])
  return ready === notYet ? waitFor(promise, ms) : ready
}
