// What per-instance inbox topics cost the brokers: creates inbox topics exactly as an instance
// creates its own when it opens its inbox (the transport's ensureTopics: list the topics, create
// one topic of 1 partition, the broker's default replication, retention 10 min, LogAppendTime; wait
// for its leader), `concurrency` at a time as instances of a rollout start side by side — then
// reads, at each size, the all-topics Metadata round trip, one inbox sweep's requests, and the
// broker JVMs' memory and open files. Deletes them all at the end.
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { definePolicy } from '../../src/core/policy.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { Transport, TopicSpec } from '../../src/core/transport.ts'
import type { LocalKafka } from '../../src/local-kafka/index.ts'
import { percentile } from './measure.ts'
import { readAllMetadata } from './scale-metadata.ts'

/** The brokers' footprint, summed over the nodes (RSS also per node). */
export interface BrokerFootprint {
  readonly rssMiB: readonly number[]
  readonly openFiles: number | undefined
  readonly memoryMaps: number | undefined
}

/** One size of the inbox population and what reaching it cost. */
export interface InboxStep {
  /** Inbox topics in the cluster after this step. */
  readonly inboxes: number
  /** Topics created (positive) or deleted (negative) by this step; 0 for the first reading. */
  readonly changed: number
  readonly stepMs: number
  /** Per inbox created: the ensureTopics call's duration (undefined for readings and deletions). */
  readonly createP50Ms: number | undefined
  readonly createP99Ms: number | undefined
  readonly metadataMs: number
  readonly metadataBytes: number
  readonly metadataTopics: number
  /** One inbox sweep: listing the inbox topics, then ListOffsets for all of them. */
  readonly sweepListMs: number
  readonly sweepOffsetsMs: number
  readonly brokers: BrokerFootprint
}

/** How the population is grown. */
export interface InboxPlan {
  /** Inbox counts to reach, ascending: 100, 1,000. */
  readonly sizes: readonly number[]
  /** Inboxes created at once. */
  readonly concurrency: number
  readonly log: (line: string) => void
}

/** Grows the inbox population through `plan.sizes`, reading the costs at each, then deletes it. */
export async function measureInboxTopics(kafka: LocalKafka, transport: Transport, plan: InboxPlan): Promise<InboxStep[]> {
  const policy = definePolicy({ prefix: `scale-inboxes-${randomBytes(3).toString('hex')}` })
  const spec = (name: string): TopicSpec => ({ name, partitions: 1, replication: -1, retentionMs: policy.retentionMs.inbox, brokerTimestamps: true })
  const names: string[] = []
  const steps: InboxStep[] = [await read(kafka, transport, policy.prefix, names, { changed: 0, stepMs: 0 })]
  try {
    for (const size of plan.sizes) {
      const fresh = Array.from({ length: size - names.length }, () => topicNames.inbox(policy, 'scale-inbox', instanceId()))
      plan.log(`inbox topics: creating ${fresh.length} (${plan.concurrency} at a time) to reach ${size}…`)
      const began = performance.now()
      const durations: number[] = []
      let next = 0
      const lane = async (): Promise<void> => {
        for (let index = next++; index < fresh.length; index = next++) {
          const name = fresh[index] ?? ''
          const started = performance.now()
          await transport.ensureTopics([spec(name)], true)
          durations.push(performance.now() - started)
          names.push(name)
        }
      }
      await Promise.all(Array.from({ length: plan.concurrency }, lane))
      const stepMs = performance.now() - began
      durations.sort((a, b) => a - b)
      steps.push(await read(kafka, transport, policy.prefix, names, { changed: fresh.length, stepMs, createP50Ms: percentile(durations, 50), createP99Ms: percentile(durations, 99) }))
    }
  } finally {
    plan.log(`inbox topics: deleting ${names.length}…`)
    const began = performance.now()
    // In slices: one DeleteTopics request for a thousand topics outlasts the client's request timeout on a busy machine.
    for (let at = 0; at < names.length; at += 100) await transport.deleteTopics(names.slice(at, at + 100))
    await waitUntilGone(transport, policy.prefix)
    const stepMs = performance.now() - began
    steps.push(await read(kafka, transport, policy.prefix, [], { changed: -names.length, stepMs }))
  }
  return steps
}

/** 8 characters of [0-9a-z], as kafka-ipc's own instance ids. */
function instanceId(): string {
  return Array.from(randomBytes(8), (byte) => (byte % 36).toString(36)).join('')
}

async function waitUntilGone(transport: Transport, prefix: string): Promise<void> {
  const deadline = Date.now() + 120_000
  while ((await transport.listTopics(`${prefix}.inbox.`)).length > 0) {
    if (Date.now() > deadline) throw new Error('Deleted inbox topics were still listed after 120 s.')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function read(kafka: LocalKafka, transport: Transport, prefix: string, names: readonly string[], step: Pick<InboxStep, 'changed' | 'stepMs'> & Partial<Pick<InboxStep, 'createP50Ms' | 'createP99Ms'>>): Promise<InboxStep> {
  // A moment for the followers to finish creating (or deleting) their replicas before memory is read.
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  // The median of five: one all-topics round trip is short enough for a scheduler hiccup to double it.
  const readings = await readAllMetadata(kafka.brokers[0] ?? '', 5)
  const byTime = [...readings].sort((a, b) => a.ms - b.ms)
  const median = byTime[2] ?? byTime[0]
  const listStarted = performance.now()
  const listed = await transport.listTopics(`${prefix}.inbox.`)
  const sweepListMs = performance.now() - listStarted
  const offsetsStarted = performance.now()
  await transport.lastWrites(listed)
  const sweepOffsetsMs = names.length === 0 ? 0 : performance.now() - offsetsStarted
  return {
    inboxes: names.length,
    createP50Ms: undefined,
    createP99Ms: undefined,
    ...step,
    metadataMs: median?.ms ?? Number.NaN,
    metadataBytes: median?.bytes ?? Number.NaN,
    metadataTopics: median?.topics ?? Number.NaN,
    sweepListMs,
    sweepOffsetsMs,
    brokers: await footprint(kafka),
  }
}

/** RSS of each broker JVM, and their open files and memory maps summed (Linux /proc; undefined elsewhere). */
export async function footprint(kafka: LocalKafka): Promise<BrokerFootprint> {
  const nodes = await kafka.status()
  const pids = nodes.flatMap((node) => (node.pid === undefined ? [] : [node.pid]))
  const files = await Promise.all(pids.map((pid) => readdir(`/proc/${pid}/fd`).then((entries) => entries.length, () => undefined)))
  const maps = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/maps`, 'utf8').then((text) => text.split('\n').length - 1, () => undefined)))
  const sum = (values: readonly (number | undefined)[]): number | undefined => (values.some((value) => value === undefined) ? undefined : values.reduce<number>((total, value) => total + (value ?? 0), 0))
  return {
    rssMiB: nodes.map((node) => (node.residentBytes ?? Number.NaN) / 2 ** 20),
    openFiles: sum(files),
    memoryMaps: sum(maps),
  }
}
