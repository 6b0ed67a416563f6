// A child process whose stdout a test reads line by line: the lines so far, and its exit.
import { type ChildProcess, spawn } from 'node:child_process'
import type { Readable } from 'node:stream'

/** A spawned child, its stdout split into lines as they come. */
export interface LinedChild {
  readonly process: ChildProcess
  readonly lines: string[]
  /** Its stderr lines, when spawned with `'keep'`. */
  readonly errorLines: string[]
  readonly exited: Promise<number | null>
}

/**
 * Runs `script` on this Node with `env` added to this process's; stderr shown, dropped, or kept
 * (`'keep'`: its lines in `errorLines`, for a test to print when something went wrong).
 */
export function spawnWithLines(script: string, env: Readonly<Record<string, string>>, stderr: 'inherit' | 'ignore' | 'keep' = 'inherit'): LinedChild {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr === 'keep' ? 'pipe' : stderr] })
  const lines: string[] = []
  const errorLines: string[] = []
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (child.stdout !== null) splitLines(child.stdout, lines)
  if (child.stderr !== null) splitLines(child.stderr, errorLines)
  return { process: child, lines, errorLines, exited }
}

function splitLines(stream: Readable, into: string[]): void {
  let buffered = ''
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const complete = buffered.split('\n')
    buffered = complete.pop() ?? ''
    into.push(...complete)
  })
}
