import type { ChannelHealth, HealthReport } from '../core/channel-health.ts'

/** When the probes turn. */
export interface ProbeLimits {
  /** Readiness stays up this long (ms) while a channel recovers from a broker failure; default 10 000. */
  readonly brokerGraceMs: number
  /** Liveness fails after an event-loop stall longer than this (ms) within `stallWindowMs`; default 2 000. */
  readonly stallMs: number
  /** How long a stall counts against liveness (ms); default 30 000. */
  readonly stallWindowMs: number
  /** Liveness fails when a channel has been recovering longer than this (ms): it is stuck; default 300 000. */
  readonly stuckMs: number
}

/**
 * When the probes turn unless told otherwise: readiness rides out a 10 s broker failover, liveness
 * fails on a 2 s event-loop stall (counted for 30 s) or a channel recovering for 5 minutes. A
 * Kubernetes manifest's probe timings are derived from these (examples/kubernetes).
 *
 * @example
 * ```ts
 * readiness(inputs, { ...defaultProbeLimits, brokerGraceMs: 3_000 })
 * ```
 */
export const defaultProbeLimits: ProbeLimits = { brokerGraceMs: 10_000, stallMs: 2_000, stallWindowMs: 30_000, stuckMs: 300_000 }

/** One probe's verdict and the JSON it answers with. */
export interface ProbeResult {
  readonly ok: boolean
  readonly body: {
    readonly probe: 'live' | 'ready' | 'startup'
    readonly status: 'pass' | 'fail'
    /** Why it fails, or what it tolerates (a recovery within the grace). */
    readonly reason: string | undefined
    readonly health: HealthReport['status']
    readonly channels: readonly { readonly name: string; readonly state: ChannelHealth['state']; readonly sinceMs: number; readonly recoveries: number }[]
    readonly eventLoopStallMs?: number
  }
}

/** What the probes read: the service's own health report, and the event loop's worst recent stall. */
export interface ProbeInputs {
  readonly report: HealthReport
  readonly longestStallMs: number
  readonly now: number
}

/**
 * Readiness (Kubernetes sends traffic): every channel consumes — or one has been recovering for
 * less than the grace, which rides out a short broker failover instead of draining the whole fleet
 * at once. Not ready while starting, after close() (draining), or past the grace.
 *
 * @example
 * ```ts
 * readiness({ report: app.health(), longestStallMs: 0, now: Date.now() }, defaultProbeLimits).ok
 * ```
 */
export function readiness(inputs: ProbeInputs, limits: ProbeLimits): ProbeResult {
  const { report, now } = inputs
  const recovering = oldestRecovering(report.channels)
  let reason: string | undefined
  let ok = report.status === 'ok'
  if (report.status === 'starting') reason = 'starting: not every channel consumes yet'
  else if (report.status === 'closed') reason = 'closed: shutting down'
  else if (recovering !== undefined) {
    const forMs = now - recovering.since
    ok = forMs <= limits.brokerGraceMs
    reason = `${recovering.name} recovering for ${forMs} ms (grace ${limits.brokerGraceMs} ms)${recovering.lastError === undefined ? '' : `: ${recovering.lastError.message}`}`
  }
  return result('ready', ok, reason, inputs)
}

/**
 * Liveness (Kubernetes restarts the container): the event loop has not stalled beyond `stallMs`
 * lately, and no channel has been stuck recovering beyond `stuckMs`. A draining service is alive.
 *
 * @example
 * ```ts
 * liveness({ report: app.health(), longestStallMs: watch.longestStallWithin(30_000), now: Date.now() }, defaultProbeLimits).ok
 * ```
 */
export function liveness(inputs: ProbeInputs, limits: ProbeLimits): ProbeResult {
  const recovering = oldestRecovering(inputs.report.channels)
  if (inputs.longestStallMs > limits.stallMs) return result('live', false, `the event loop stalled for ${inputs.longestStallMs} ms (limit ${limits.stallMs} ms)`, inputs)
  if (recovering !== undefined && inputs.now - recovering.since > limits.stuckMs) return result('live', false, `${recovering.name} stuck recovering for ${inputs.now - recovering.since} ms (limit ${limits.stuckMs} ms)`, inputs)
  return result('live', true, undefined, inputs)
}

/**
 * Startup (Kubernetes holds the other probes until it passes): `listen()` has finished — every
 * channel has started once.
 *
 * @example
 * ```ts
 * startup({ report: app.health(), longestStallMs: 0, now: Date.now() }).ok
 * ```
 */
export function startup(inputs: ProbeInputs): ProbeResult {
  const started = inputs.report.status !== 'starting'
  return result('startup', started, started ? undefined : 'starting: listen() has not finished', inputs)
}

function oldestRecovering(channels: readonly ChannelHealth[]): ChannelHealth | undefined {
  let oldest: ChannelHealth | undefined
  for (const channel of channels) if (channel.state === 'recovering' && (oldest === undefined || channel.since < oldest.since)) oldest = channel
  return oldest
}

function result(probe: ProbeResult['body']['probe'], ok: boolean, reason: string | undefined, inputs: ProbeInputs): ProbeResult {
  return {
    ok,
    body: {
      probe,
      status: ok ? 'pass' : 'fail',
      reason,
      health: inputs.report.status,
      channels: inputs.report.channels.map((channel) => ({ name: channel.name, state: channel.state, sinceMs: inputs.now - channel.since, recoveries: channel.recoveries })),
      ...(probe === 'live' ? { eventLoopStallMs: inputs.longestStallMs } : {}),
    },
  }
}
