import type { KafkaIpcError } from './kafka-ipc-error.ts'

/**
 * Where a long-lived broker channel — a consumer group subscription or a private inbox — stands:
 * - `starting`: opening, nothing consumed yet;
 * - `consuming`: fetching records;
 * - `recovering`: the broker connection, a partition leader or the group coordinator was lost;
 *   the transport is re-establishing the channel by itself (since `since`, last failure `lastError`);
 * - `closed`: closed on purpose.
 */
export type ChannelState = 'starting' | 'consuming' | 'recovering' | 'closed'

/**
 * A snapshot of one channel's state, as reported by `service.health()` and `client.health()`.
 *
 * @example
 * ```ts
 * for (const channel of app.health().channels) {
 *   if (channel.state === 'recovering') console.warn(`${channel.name} re-establishing since ${new Date(channel.since).toISOString()}`)
 * }
 * ```
 */
export interface ChannelHealth {
  /** What the channel is: `subscription <group>` or `inbox <topic>`. */
  readonly name: string
  readonly state: ChannelState
  /** When the channel entered this state (epoch ms). */
  readonly since: number
  /** The failure that started the current or the last recovery. */
  readonly lastError: KafkaIpcError | undefined
  /** How many times the channel was re-established after a failure. */
  readonly recoveries: number
  /** How long the last recovery took, from the failure to consuming again (ms). */
  readonly lastRecoveryMs: number | undefined
}

/**
 * The health of a service or client: `ok` when every channel consumes, `recovering` while any is
 * re-establishing itself, `starting` before all have started, `closed` after close().
 *
 * @example
 * ```ts
 * const { status, channels } = app.health()
 * if (status !== 'ok') console.log(channels.filter((channel) => channel.state !== 'consuming'))
 * ```
 */
export interface HealthReport {
  readonly status: 'ok' | 'starting' | 'recovering' | 'closed'
  readonly channels: readonly ChannelHealth[]
}

/** Summarises channel states: the worst one wins (recovering > starting > ok). */
export function summarizeHealth(closed: boolean, channels: readonly ChannelHealth[]): HealthReport {
  if (closed) return { status: 'closed', channels }
  const states = new Set(channels.map((channel) => channel.state))
  const status = states.has('recovering') || states.has('closed') ? 'recovering' : states.has('starting') || channels.length === 0 ? 'starting' : 'ok'
  return { status, channels }
}
