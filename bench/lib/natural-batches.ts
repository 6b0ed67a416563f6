// Natural batching for the raw reference clients, as kafka-ipc's transport batches its sends: an
// idle sender pays no linger delay, a busy one gets large batches. Shared so every raw row that
// claims "batched" batches the same way.

/**
 * Wraps `send` so that one send is in flight at a time; whatever arrives meanwhile goes out
 * together in the next one, and an idle sender sends once the code running now is done. Each
 * caller's promise settles with the send that carried its items.
 */
export function naturalBatches<T>(send: (items: T[]) => Promise<unknown>): (items: T[]) => Promise<unknown> {
  let queue: { items: T[]; done: PromiseWithResolvers<unknown> }[] = []
  let flushing = false
  const flush = async (): Promise<void> => {
    flushing = true
    while (queue.length > 0) {
      const batch = queue
      queue = []
      try {
        await send(batch.flatMap((queued) => queued.items))
        for (const queued of batch) queued.done.resolve(undefined)
      } catch (error) {
        for (const queued of batch) queued.done.reject(error)
      }
    }
    flushing = false
  }
  return (items) => {
    const done = Promise.withResolvers<unknown>()
    queue.push({ items, done })
    if (!flushing) {
      // As kafka-ipc's SendBatcher: started once the code running now is done, so what it sends in one go leaves together.
      flushing = true
      queueMicrotask(() => void flush())
    }
    return done.promise
  }
}
