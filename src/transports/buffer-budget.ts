/**
 * How a subscription splits its `maxBufferedBytes` (B): a quarter for what one round of fetches
 * may bring — one fetch per broker, each at most `fetchBytes` — and the rest for records started
 * (running or waiting behind their key). Fetching pauses as soon as the started records reach
 * their share or `maxInFlight`; what the last fetch brought beyond that waits in a queue, and no
 * fetch goes out until that queue is empty. So started ≤ 3/4·B and queued + fetching ≤ 1/4·B.
 *
 * The one excess Kafka allows: a fetch returns the first record batch of a partition whole even
 * when it is larger than the fetch size (KIP-74), so that a large record is never stuck — at most
 * the broker's `message.max.bytes` (1 MiB by default) over the bound.
 *
 * @example
 * ```ts
 * const { startedBytes, fetchBytes } = bufferBudget(16 * 1024 * 1024, 3) // 12 MiB, 4 MiB / 3
 * ```
 */
export function bufferBudget(maxBufferedBytes: number, brokers = 1): BufferBudget {
  const fetchRound = Math.max(1, Math.floor(maxBufferedBytes / 4))
  return { startedBytes: maxBufferedBytes - fetchRound, fetchBytes: Math.max(1, Math.floor(fetchRound / Math.max(1, brokers))) }
}

/** See {@link bufferBudget}. */
export interface BufferBudget {
  /** Bytes of the records started at once (a larger record still runs, alone). */
  readonly startedBytes: number
  /** The largest response one fetch request (to one broker) may bring. */
  readonly fetchBytes: number
}
