// A child process whose stdout a test reads line by line: the lines so far, and its exit.
import { type ChildProcess, spawn } from 'node:child_process'

/** A spawned child, its stdout split into lines as they come. */
export interface LinedChild {
  readonly process: ChildProcess
  readonly lines: string[]
  readonly exited: Promise<number | null>
}

/** Runs `script` on this Node with `env` added to this process's, stderr shown or dropped. */
export function spawnWithLines(script: string, env: Readonly<Record<string, string>>, stderr: 'inherit' | 'ignore' = 'inherit'): LinedChild {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr] })
  const lines: string[] = []
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  let buffered = ''
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const complete = buffered.split('\n')
    buffered = complete.pop() ?? ''
    lines.push(...complete)
  })
  return { process: child, lines, exited }
}
