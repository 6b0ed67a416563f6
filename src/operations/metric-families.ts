import type * as promClient from 'prom-client'
import type { Counter, Gauge, Registry } from 'prom-client'
import { AccumulatedCounter, AccumulatedHistogram } from './accumulated-metrics.ts'

/** prom-client as loaded on demand: `import('prom-client')`. */
export type PromClient = typeof promClient

/** Label names of the handling side. */
export type HandleLabel = 'service' | 'kind' | 'route' | 'outcome'

/** Label names of the calling side. */
export type CallLabel = 'client' | 'kind' | 'target' | 'outcome'

/**
 * Every metric kafka-ipc exports (docs/operations.md#metrics has the table). Those fed by the
 * diagnostics channels count every service and client of the process; those read at scrape time
 * (in flight, timeouts, late and malformed answers, undeliverable answers, consumer lag) come from
 * the services and clients the metrics were given.
 */
export interface MetricFamilies {
  readonly handled: AccumulatedCounter<HandleLabel | 'status'>
  readonly handleDuration: AccumulatedHistogram
  readonly dropped: AccumulatedCounter<'service' | 'reason'>
  readonly calls: AccumulatedCounter<CallLabel>
  readonly callDuration: AccumulatedHistogram
  readonly emitted: AccumulatedCounter<'client' | 'event' | 'outcome'>
  readonly emitDuration: AccumulatedHistogram
  readonly handlersInFlight: Gauge<'service'>
  readonly undeliverable: Counter<'service'>
  readonly eventRetries: Counter<'service'>
  readonly deadLetters: Counter<'service'>
  readonly consumerLag: Gauge<'service' | 'group' | 'topic' | 'partition'>
  readonly callsInFlight: Gauge<'client'>
  readonly timeouts: Counter<'client'>
  readonly lateAnswers: Counter<'client'>
  readonly malformedAnswers: Counter<'client'>
}

/**
 * Latency buckets in seconds: from a fast request-reply over Kafka (about a millisecond) to the
 * longest default timeout (30 s) — prom-client's default buckets start at 5 ms, above most calls.
 * Exported as `defaultLatencyBuckets`.
 *
 * @example
 * ```ts
 * await prometheusMetrics({ buckets: [...defaultLatencyBuckets, 60] })   // handlers that run up to a minute
 * ```
 */
export const defaultBuckets: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])

/** What reading the services and clients at scrape time fills in (see metric-sources.ts). */
export interface ScrapeCollectors {
  readonly handlersInFlight: (gauge: Gauge<'service'>) => void
  readonly undeliverable: (counter: Counter<'service'>) => void
  readonly eventRetries: (counter: Counter<'service'>) => void
  readonly deadLetters: (counter: Counter<'service'>) => void
  readonly consumerLag: (gauge: Gauge<'service' | 'group' | 'topic' | 'partition'>) => Promise<void>
  readonly callsInFlight: (gauge: Gauge<'client'>) => void
  readonly timeouts: (counter: Counter<'client'>) => void
  readonly lateAnswers: (counter: Counter<'client'>) => void
  readonly malformedAnswers: (counter: Counter<'client'>) => void
}

/**
 * Creates kafka-ipc's metrics in `registry`, names prefixed with `prefix`. Throws prom-client's
 * error when a metric of the same name is already registered there.
 *
 * @example
 * ```ts
 * const families = createFamilies(await import('prom-client'), registry, 'kafka_ipc_', defaultBuckets, collectors)
 * families.handled.series({ service: 'pricing', kind: 'route', route: 'POST /quotes', outcome: 'answered', status: '200' }).value++
 * ```
 */
export function createFamilies(prom: PromClient, registry: Registry, prefix: string, buckets: readonly number[], collect: ScrapeCollectors): MetricFamilies {
  const registers = [registry]
  const handleLabels: HandleLabel[] = ['service', 'kind', 'route', 'outcome']
  const callLabels: CallLabel[] = ['client', 'kind', 'target', 'outcome']
  // Figures kafka-ipc already keeps, read from the services and clients when Prometheus scrapes.
  const scrapedCounter = <L extends string>(name: string, help: string, labelNames: L[], fill: (counter: Counter<L>) => void): Counter<L> =>
    new prom.Counter<L>({
      name: `${prefix}${name}`,
      help,
      labelNames,
      registers,
      collect() {
        fill(this)
      },
    })
  const scrapedGauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (gauge: Gauge<L>) => void | Promise<void>): Gauge<L> =>
    new prom.Gauge<L>({
      name: `${prefix}${name}`,
      help,
      labelNames,
      registers,
      collect() {
        return fill(this)
      },
    })
  return {
    handled: new AccumulatedCounter(prom, { name: `${prefix}handled_total`, help: 'Requests (kind route, stream, gather) and events (kind event) a service handled, by route as declared, outcome and status answered.', labelNames: [...handleLabels, 'status'], registers }),
    handleDuration: new AccumulatedHistogram(registry, `${prefix}handle_duration_seconds`, 'Time a service took per request (from passing the drop rules to its last answer sent) or event (to its handler done).', buckets),
    dropped: new AccumulatedCounter(prom, { name: `${prefix}dropped_total`, help: 'Records a service dropped unhandled, by reason: malformed, copy (of one already consumed), expired (deadline passed), reply-target (refused).', labelNames: ['service', 'reason'], registers }),
    calls: new AccumulatedCounter(prom, { name: `${prefix}calls_total`, help: 'Calls, streams and gathers a client made, by target and outcome: ok, error (answered with an error), timeout, cancelled, failed (locally).', labelNames: callLabels, registers }),
    callDuration: new AccumulatedHistogram(registry, `${prefix}call_duration_seconds`, 'Time from a call, stream or gather being sent to its last answer (a stream: from its first read to its end).', buckets),
    emitted: new AccumulatedCounter(prom, { name: `${prefix}emitted_total`, help: 'Events a client emitted, by event and outcome: ok (the broker has it) or failed.', labelNames: ['client', 'event', 'outcome'], registers }),
    emitDuration: new AccumulatedHistogram(registry, `${prefix}emit_duration_seconds`, 'Time from emitting an event until the broker acknowledged it (acks=all).', buckets),
    handlersInFlight: scrapedGauge('handlers_in_flight', 'Request handlers running now.', ['service'], collect.handlersInFlight),
    undeliverable: scrapedCounter('undeliverable_answers_total', 'Answers (replies, stream records, errors) the broker did not take before the request deadline: dropped.', ['service'], collect.undeliverable),
    eventRetries: scrapedCounter('event_retries_total', 'Event handler runs that failed and were tried again (policy.eventRetries).', ['service'], collect.eventRetries),
    deadLetters: scrapedCounter('dead_letters_total', "Event records written to the service's dead-letter topic: failed every run, or could not be read or validated.", ['service'], collect.deadLetters),
    consumerLag: scrapedGauge('consumer_lag', "Records a service's consumer group has not committed yet, per partition this instance holds: the log end offset minus the committed offset.", ['service', 'group', 'topic', 'partition'], collect.consumerLag),
    callsInFlight: scrapedGauge('calls_in_flight', 'Calls, streams and gathers waiting for answers now.', ['client'], collect.callsInFlight),
    timeouts: scrapedCounter('call_timeouts_total', 'Calls, streams and gathers whose deadline passed before their (last) answer; a gather ends so, with the answers it has.', ['client'], collect.timeouts),
    lateAnswers: scrapedCounter('late_answers_total', 'Answers that reached the inbox after their call had timed out, been cancelled or completed (and copies of answers already taken): dropped.', ['client'], collect.lateAnswers),
    malformedAnswers: scrapedCounter('malformed_answers_total', 'Inbox records that broke the protocol: dropped.', ['client'], collect.malformedAnswers),
  }
}

/** Removes kafka-ipc's metrics from the registry they were created in. */
export function removeFamilies(registry: Registry, families: MetricFamilies): void {
  for (const family of Object.values(families) as object[]) {
    // prom-client keeps the name on its metric objects; its types do not declare it.
    const metric = (family instanceof AccumulatedCounter ? family.metric : family) as { readonly name?: unknown }
    if (typeof metric.name === 'string') registry.removeSingleMetric(metric.name)
  }
}
