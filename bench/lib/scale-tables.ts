// The markdown tables of bench/scale-out.ts: throughput per responder count, where the CPU went and
// what the brokers were asked per call, what idle instances ask of the brokers, and what inbox
// topics cost the brokers.
import { fixed, markdownTable, whole } from './run-env.ts'
import type { InboxStep } from './scale-inboxes.ts'
import type { ApiCounts } from './scale-messages.ts'
import type { RunResult } from './scale-run.ts'

const percent = (part: number, all: number): string => (all > 0 ? `${Math.round((part / all) * 100)}%` : '-')
const cores = (value: number | undefined): string => (value === undefined ? '-' : fixed(value))

/** req/s and latency per responder count. */
export function throughputTable(runs: readonly RunResult[]): string {
  const rows = runs.map((run) => {
    const handled = run.handledEach.reduce((sum, count) => sum + count, 0)
    return [
      String(run.plan.responders),
      run.partitionsEach.join(' / '),
      `${run.plan.callers} × ${run.plan.concurrency}`,
      whole(run.calls),
      whole(run.perSecond),
      fixed(run.p50),
      fixed(run.p90),
      fixed(run.p99),
      fixed(run.max),
      whole(run.failed),
      run.handledEach.map((count) => percent(count, handled)).join(' / '),
    ]
  })
  return markdownTable(['responder processes', 'partitions each', 'callers × in flight', 'calls', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'failed', 'share handled'], [true, false, false, true, true, true, true, true, true, true, false], rows)
}

/** CPU cores used in the window, by whom, and the Kafka requests the clients sent per 1,000 calls. */
export function costTable(runs: readonly RunResult[]): string {
  const rows = runs.map((run) => {
    const { brokers, responders, callers, parent, machine } = run.cores
    const ours = brokers === undefined ? undefined : brokers + responders + callers + parent
    const per1000 = (counts: ApiCounts, api: string): string => fixed(((counts[api] ?? 0) / run.calls) * 1000, 0)
    return [
      String(run.plan.responders),
      cores(brokers),
      cores(responders),
      cores(callers),
      cores(machine === undefined || ours === undefined ? undefined : Math.max(0, machine - ours)),
      cores(machine),
      `${per1000(run.callerApi, 'Produce')} / ${per1000(run.responderApi, 'Produce')}`,
      `${per1000(run.callerApi, 'Fetch')} / ${per1000(run.responderApi, 'Fetch')}`,
      per1000(run.responderApi, 'OffsetCommit'),
    ]
  })
  return markdownTable(
    ['responder processes', 'cores: 3 brokers', 'cores: responders', 'cores: callers', 'cores: other jobs', 'cores: machine busy', 'Produce per 1,000 calls (callers / responders)', 'Fetch per 1,000 calls (callers / responders)', 'OffsetCommit per 1,000 calls'],
    [true, true, true, true, true, true, false, false, true],
    rows,
  )
}

/** Kafka requests per second one idle instance sends, by API. */
export function idleTable(runs: readonly RunResult[]): string {
  const apis = ['Fetch', 'Heartbeat', 'OffsetCommit', 'Produce', 'Metadata', 'other']
  const line = (who: string, run: RunResult, counts: ApiCounts): string[] => [who, String(run.plan.responders), ...apis.map((api) => fixed(counts[api] ?? 0, 1)), fixed(Object.values(counts).reduce((sum, count) => sum + count, 0), 1)]
  const rows = runs.flatMap((run) => [line('responder', run, run.idleResponderApi), line('caller', run, run.idleCallerApi)])
  return markdownTable(['idle instance', 'responders in the group', ...apis.map((api) => `${api}/s`), 'all/s'], [false, true, ...apis.map(() => true), true], rows)
}

/** What each size of the inbox population cost to reach, and what the brokers held at it. */
export function inboxTable(steps: readonly InboxStep[]): string {
  const rows = steps.map((step, index) => {
    const what = index === 0 ? 'before' : step.changed < 0 ? `deleted ${whole(-step.changed)}` : `created ${whole(step.changed)}`
    const ms = (value: number | undefined): string => (value === undefined ? '-' : fixed(value, 1))
    return [
      whole(step.inboxes),
      what,
      index === 0 ? '-' : fixed(step.stepMs / 1000, 1),
      ms(step.createP50Ms),
      ms(step.createP99Ms),
      whole(step.metadataTopics),
      fixed(step.metadataMs, 1),
      fixed(step.metadataBytes / 1024, 1),
      step.inboxes === 0 ? fixed(step.sweepListMs, 1) : `${fixed(step.sweepListMs, 1)} + ${fixed(step.sweepOffsetsMs, 1)}`,
      step.brokers.rssMiB.map((mib) => fixed(mib, 0)).join(' / '),
      step.brokers.openFiles === undefined ? '-' : whole(step.brokers.openFiles),
      step.brokers.memoryMaps === undefined ? '-' : whole(step.brokers.memoryMaps),
    ]
  })
  return markdownTable(
    ['inbox topics', 'step', 'step took s', 'per inbox p50 ms', 'per inbox p99 ms', 'topics in metadata', 'all-topics Metadata ms', 'Metadata KiB', 'one sweep ms (list + ListOffsets)', 'broker RSS MiB (node 1 / 2 / 3)', 'broker open files (sum)', 'broker memory maps (sum)'],
    [true, false, true, true, true, true, true, true, false, false, true, true],
    rows,
  )
}
