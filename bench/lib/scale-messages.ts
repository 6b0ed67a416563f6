// The messages bench/scale-out.ts exchanges with its child processes (bench/lib/scale-responder.ts,
// bench/lib/scale-caller.ts) over the IPC channel, with `serialization: 'advanced'` so latencies
// travel as a Float64Array instead of a JSON array of a million digits.

/** Kafka requests a process sent, by API name (Produce, Fetch, OffsetCommit, Heartbeat, other). */
export type ApiCounts = Readonly<Record<string, number>>

/** Parent → child. */
export type ToChild =
  /** Responder: how many partitions of the requests topic do you hold now? */
  | { readonly type: 'assignments' }
  /** Both: start counting (CPU, Kafka requests, handled requests) from now. */
  | { readonly type: 'mark' }
  /** Both: what was counted since the last mark. */
  | { readonly type: 'report' }
  /** Caller: call for `ms` without measuring, to warm both sides. */
  | { readonly type: 'warmup'; readonly ms: number }
  /** Caller: call for `ms` and report every latency. */
  | { readonly type: 'measure'; readonly ms: number }
  /** Both: close gracefully and exit. */
  | { readonly type: 'stop' }

/** Child → parent. */
export type FromChild =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'assignments'; readonly partitions: number }
  | { readonly type: 'marked' }
  | { readonly type: 'report'; readonly cpuMs: number; readonly api: ApiCounts; readonly handled: number }
  | { readonly type: 'warmed'; readonly calls: number; readonly failed: number }
  | { readonly type: 'measured'; readonly latencies: Float64Array; readonly failed: number }

/** Sends a message to the parent; a child program started without fork() has no one to tell. */
export function tellParent(message: FromChild): void {
  if (process.send === undefined) throw new Error('This program is a child of bench/scale-out.ts: start it with fork().')
  process.send(message)
}

/** Calls `handler` for each message from the parent; exits when the parent has gone (no orphans left running). */
export function onParentMessage(handler: (message: ToChild) => void): void {
  process.on('message', (message: ToChild) => {
    handler(message)
  })
  process.on('disconnect', () => process.exit(1))
}
