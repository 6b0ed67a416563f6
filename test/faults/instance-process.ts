// A fault test's handle on one instance-child.ts process: its output lines, counts of what it
// did per id, and ways to wait for a line and to end it.
import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { spawnWithLines } from '../support/child-lines.ts'

const child = fileURLToPath(new URL('instance-child.ts', import.meta.url))

/** One running instance-child.ts. */
export class InstanceProcess {
  readonly name: string
  readonly lines: string[]
  /** Its stderr lines — kafka-ipc's log — printed by a scenario that lost calls. */
  readonly errorLines: string[]
  readonly exited: Promise<number | null>
  readonly #process: ChildProcess

  constructor(name: string, env: Record<string, string>) {
    this.name = name
    const started = spawnWithLines(child, { INSTANCE: name, ...env }, 'keep')
    this.#process = started.process
    this.lines = started.lines
    this.errorLines = started.errorLines
    this.exited = started.exited
  }

  /** Waits until the instance printed `line`. */
  async waitFor(line: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.lines.includes(line)) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${JSON.stringify(line)} within ${String(timeoutMs)} ms; it printed ${String(this.lines.length)} lines`)
      await sleep(50)
    }
  }

  /** The ids of the lines `<word> <id> …` it printed, counted. */
  counts(word: string, into = new Map<number, number>()): Map<number, number> {
    for (const fields of this.#lines(word)) {
      const id = Number(fields[0])
      into.set(id, (into.get(id) ?? 0) + 1)
    }
    return into
  }

  /** The fields after `<word>` of each line starting with it. */
  *#lines(word: string): Generator<string[]> {
    for (const line of this.lines) if (line.startsWith(`${word} `)) yield line.slice(word.length + 1).split(' ')
  }

  /** Its runs, from lines `<word> <id> <message id> <started at>`. */
  runs(word: string): { id: number; messageId: string; startedAt: number }[] {
    return [...this.#lines(word)].map(([id, messageId, startedAt]) => ({ id: Number(id), messageId: messageId ?? '', startedAt: Number(startedAt) }))
  }

  /** When its store recorded each message's run as finished, from lines `recorded <message id> <at>`. */
  recorded(into = new Map<string, number>()): Map<string, number> {
    for (const [messageId = '', at] of this.#lines('recorded')) into.set(messageId, Math.min(into.get(messageId) ?? Infinity, Number(at)))
    return into
  }

  kill(signal: NodeJS.Signals): void {
    this.#process.kill(signal)
  }
}

/**
 * Ids whose handler started again after a store recorded a run of the same message as finished
 * (lines `<word> <id> <message id> <started at>` and `recorded <message id> <at>`): what a
 * deduplication store must prevent. A run whose instance died after its handler finished but
 * before the store had it is not one of them — its key was never marked done, and running it again
 * is the documented at-least-once (docs/reliability.md#deduplication).
 */
export function ranAfterRecorded(instances: readonly InstanceProcess[], word: string): number {
  const recorded = new Map<string, number>()
  for (const instance of instances) instance.recorded(recorded)
  const again = new Set<number>()
  for (const instance of instances) {
    for (const run of instance.runs(word)) if (run.startedAt > (recorded.get(run.messageId) ?? Infinity)) again.add(run.id)
  }
  return again.size
}

/** Messages whose run some instance's store recorded as finished. */
export function recordedRuns(instances: readonly InstanceProcess[]): number {
  const recorded = new Map<string, number>()
  for (const instance of instances) instance.recorded(recorded)
  return recorded.size
}
