// One run of bench/scale-out.ts: N responder processes of one service (one consumer group) and C
// caller processes, each a separate OS process. Start all, wait until the group has spread the
// partitions over every responder, count what idle instances ask of the brokers, warm up, then
// measure one window during which every caller keeps its calls in flight; stop all gracefully.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { definePolicy } from '../../src/core/policy.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { Transport } from '../../src/core/transport.ts'
import { percentile } from './measure.ts'
import { ScaleChild } from './scale-children.ts'
import { machineBusyMs, processesCpuMs } from './scale-cpu.ts'
import type { ApiCounts, FromChild } from './scale-messages.ts'
import { echo } from './systems.ts'

/** What a run is given. */
export interface RunPlan {
  readonly responders: number
  readonly callers: number
  /** Calls in flight per caller. */
  readonly concurrency: number
  readonly partitions: number
  readonly idleMs: number
  readonly warmupMs: number
  readonly measureMs: number
  readonly brokers: readonly string[]
  readonly brokerPids: readonly number[]
  /** The parent's transport: deletes the run's requests topic afterwards. */
  readonly admin: Transport
  readonly log: (line: string) => void
}

/** What a run measured. */
export interface RunResult {
  readonly plan: RunPlan
  /** Partitions each responder held while measured. */
  readonly partitionsEach: readonly number[]
  readonly calls: number
  readonly failed: number
  readonly perSecond: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
  /** Requests each responder handled in the window. */
  readonly handledEach: readonly number[]
  /** CPU cores used on average over the window, by whom; undefined where /proc cannot tell. */
  readonly cores: { readonly brokers: number | undefined; readonly responders: number; readonly callers: number; readonly parent: number; readonly machine: number | undefined }
  /** Kafka requests sent in the window by all responders and by all callers. */
  readonly responderApi: ApiCounts
  readonly callerApi: ApiCounts
  /** Kafka requests per second of one idle responder and one idle caller (averaged over the instances). */
  readonly idleResponderApi: ApiCounts
  readonly idleCallerApi: ApiCounts
}

/** Runs the plan and reports; every child is stopped (or killed) whatever happens. */
export async function runScale(plan: RunPlan): Promise<RunResult> {
  const prefix = `scale-${plan.responders}-${randomBytes(3).toString('hex')}`
  const partitions = String(plan.partitions)
  const responders = Array.from({ length: plan.responders }, (_, i) => new ScaleChild(`responder ${i + 1}`, 'scale-responder.ts', [prefix, partitions], plan.brokers))
  const callers: ScaleChild[] = []
  try {
    await Promise.all(responders.map((child) => child.ready))
    const partitionsEach = await balancedAssignment(responders, plan.partitions)
    plan.log(`${plan.responders} responder(s) ready, partitions ${partitionsEach.join(' / ')}; starting ${plan.callers} caller(s)…`)
    for (let i = 0; i < plan.callers; i++) callers.push(new ScaleChild(`caller ${i + 1}`, 'scale-caller.ts', [prefix, partitions, String(plan.concurrency)], plan.brokers))
    await Promise.all(callers.map((child) => child.ready))
    const everyone = [...responders, ...callers]
    // The callers' first moments (producer id, first metadata, the inbox's first heartbeat) are start-up, not idling.
    await sleep(2_000)

    // Idle: what instances with nothing to do ask of the brokers (long-poll fetches, heartbeats).
    await Promise.all(everyone.map((child) => child.ask({ type: 'mark' }, 'marked')))
    await sleep(plan.idleMs)
    const idle = await Promise.all(everyone.map((child) => child.ask({ type: 'report' }, 'report')))
    const perSecondEach = (reports: readonly Extract<FromChild, { type: 'report' }>[]): ApiCounts => scale(sumApi(reports.map((report) => report.api)), 1000 / plan.idleMs / reports.length)

    plan.log(`warming up for ${plan.warmupMs / 1000} s…`)
    const warmed = await Promise.all(callers.map((child) => child.ask({ type: 'warmup', ms: plan.warmupMs }, 'warmed')))
    plan.log(`warm-up: ${warmed.reduce((sum, w) => sum + w.calls, 0)} calls, ${warmed.reduce((sum, w) => sum + w.failed, 0)} failed; measuring for ${plan.measureMs / 1000} s…`)

    await Promise.all(everyone.map((child) => child.ask({ type: 'mark' }, 'marked')))
    const [machineBefore, brokersBefore] = await Promise.all([machineBusyMs(), processesCpuMs(plan.brokerPids)])
    const parentBefore = process.cpuUsage()
    const began = performance.now()
    const measured = await Promise.all(callers.map((child) => child.ask({ type: 'measure', ms: plan.measureMs }, 'measured')))
    const [machineAfter, brokersAfter] = await Promise.all([machineBusyMs(), processesCpuMs(plan.brokerPids)])
    const wallMs = performance.now() - began
    const parentCpu = process.cpuUsage(parentBefore)
    const reports = await Promise.all(everyone.map((child) => child.ask({ type: 'report' }, 'report')))
    const responderReports = reports.slice(0, responders.length)
    const callerReports = reports.slice(responders.length)

    const latencies = measured.flatMap((result) => Array.from(result.latencies)).sort((a, b) => a - b)
    const cores = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / wallMs)
    return {
      plan,
      partitionsEach,
      calls: latencies.length,
      failed: measured.reduce((sum, result) => sum + result.failed, 0),
      perSecond: (latencies.length / plan.measureMs) * 1000,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? Number.NaN,
      handledEach: responderReports.map((report) => report.handled),
      cores: {
        brokers: cores(brokersBefore === undefined || brokersAfter === undefined ? undefined : brokersAfter - brokersBefore),
        responders: cores(responderReports.reduce((sum, report) => sum + report.cpuMs, 0)) ?? Number.NaN,
        callers: cores(callerReports.reduce((sum, report) => sum + report.cpuMs, 0)) ?? Number.NaN,
        parent: cores((parentCpu.user + parentCpu.system) / 1000) ?? Number.NaN,
        machine: cores(machineBefore === undefined || machineAfter === undefined ? undefined : machineAfter - machineBefore),
      },
      responderApi: sumApi(responderReports.map((report) => report.api)),
      callerApi: sumApi(callerReports.map((report) => report.api)),
      idleResponderApi: perSecondEach(idle.slice(0, responders.length)),
      idleCallerApi: perSecondEach(idle.slice(responders.length)),
    }
  } finally {
    // Callers first, so no request waits for a responder that has gone.
    await Promise.all(callers.map((child) => child.stop()))
    await Promise.all(responders.map((child) => child.stop()))
    await plan.admin.deleteTopics([topicNames.requests(definePolicy({ prefix }), echo.service)]).catch((error: unknown) => {
      plan.log(`could not delete the run's requests topic: ${String(error)}`)
    })
  }
}

/**
 * Resolves with each responder's partition count once every responder holds some and together
 * they hold all — the group has finished spreading the work — and that held for three looks.
 */
async function balancedAssignment(responders: readonly ScaleChild[], partitions: number): Promise<number[]> {
  const deadline = Date.now() + 60_000
  let stableLooks = 0
  for (;;) {
    const each = (await Promise.all(responders.map((child) => child.ask({ type: 'assignments' }, 'assignments')))).map((reply) => reply.partitions)
    const spread = each.every((count) => count > 0) && each.reduce((sum, count) => sum + count, 0) === partitions
    stableLooks = spread ? stableLooks + 1 : 0
    if (stableLooks >= 3) return each
    if (Date.now() > deadline) throw new Error(`The group did not spread ${partitions} partitions over ${responders.length} responders within 60 s (last look: ${each.join(', ')}).`)
    await sleep(250)
  }
}

function sumApi(all: readonly ApiCounts[]): ApiCounts {
  const total: Record<string, number> = {}
  for (const counts of all) for (const [name, count] of Object.entries(counts)) total[name] = (total[name] ?? 0) + count
  return total
}

function scale(counts: ApiCounts, factor: number): ApiCounts {
  return Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, count * factor]))
}
