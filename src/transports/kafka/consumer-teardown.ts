import type { Buffer } from 'node:buffer'
import type { Consumer, MessagesStream } from '@platformatic/kafka'

/**
 * Closes a consumer: a LeaveGroup lets the group rebalance at once rather than after the session
 * timeout. When the coordinator cannot be reached in time the consumer is closed without leaving
 * (the library keeps it open if LeaveGroup fails), and the broker expires the member.
 *
 * @example
 * ```ts
 * await closeWithin(consumer, stream, 5_000) // left the group, or closed without leaving after 5 s
 * ```
 */
export async function closeWithin(consumer: Consumer, stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined, ms: number): Promise<void> {
  await stream?.close().catch(() => undefined)
  let timer: NodeJS.Timeout | undefined
  const closing = consumer.close(true)
  const left = await Promise.race([
    closing.then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        resolve(false)
      }, ms)
    }),
  ])
  clearTimeout(timer)
  if (left) return
  await forceClose(consumer)
  // A close whose LeaveGroup fails marks the library's consumer open again, its group heartbeat
  // still scheduled — retrying a coordinator it can no longer reach, every interval, for good,
  // and keeping the process alive. Closed once more after that, with no connection left, it
  // leaves the group at once and the heartbeat stops.
  void closing.then(undefined, () => consumer.close(true)).catch(() => undefined)
}

/** Closes the client's connections without a LeaveGroup (see {@link closeWithin}). */
async function forceClose(consumer: Consumer): Promise<void> {
  // The library's close() retries LeaveGroup and reopens itself when that fails; its base class
  // close (connections only) is what a lost coordinator leaves us.
  const base = Object.getPrototypeOf(Object.getPrototypeOf(consumer)) as { close: (this: Consumer, callback: (error?: unknown) => void) => void }
  await new Promise<void>((resolve) => {
    base.close.call(consumer, () => {
      resolve()
    })
  })
}
