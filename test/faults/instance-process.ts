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

  /** The ids of the lines `<word> <id>` it printed, counted. */
  counts(word: string, into = new Map<number, number>()): Map<number, number> {
    for (const line of this.lines) {
      if (!line.startsWith(`${word} `)) continue
      const id = Number(line.slice(word.length + 1))
      into.set(id, (into.get(id) ?? 0) + 1)
    }
    return into
  }

  kill(signal: NodeJS.Signals): void {
    this.#process.kill(signal)
  }
}

/** Ids counted more than once across the instances' `<word> <id>` lines. */
export function countedTwice(instances: readonly InstanceProcess[], word: string): number {
  const counts = new Map<number, number>()
  for (const instance of instances) instance.counts(word, counts)
  return [...counts.values()].filter((count) => count > 1).length
}
