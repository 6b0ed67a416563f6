import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { runCommand } from './run-command.ts'

/** True while a process with this pid exists (zombies excepted where /proc tells). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM means it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  return status === undefined || !/^State:\s+Z/m.test(status)
}

/**
 * True when `pid` is alive and its command line mentions `marker` (a node's config path): a pid
 * saved in a file may have been reused by an unrelated process since. Where /proc is missing
 * (macOS) the check falls back to `ps`.
 */
export async function isOurProcess(pid: number, marker: string): Promise<boolean> {
  if (!(await isAlive(pid))) return false
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined)
  if (cmdline !== undefined) return cmdline.includes(marker)
  const ps = await runCommand('ps', ['-o', 'command=', '-p', String(pid)])
  return ps.exitCode === 0 && ps.output.includes(marker)
}

/** Resident memory of a process in bytes, or undefined when it is gone. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  if (status !== undefined) {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024
  }
  const ps = await runCommand('ps', ['-o', 'rss=', '-p', String(pid)])
  const kib = Number(ps.output.trim())
  return ps.exitCode === 0 && Number.isFinite(kib) && kib > 0 ? kib * 1024 : undefined
}

/**
 * Sends `signal` and waits until the process is gone. After `graceMs` a SIGTERM is followed by
 * SIGKILL, so a stop always ends with no process left.
 */
export async function terminate(pid: number, signal: 'SIGTERM' | 'SIGKILL', graceMs = 30_000): Promise<void> {
  if (!sendSignal(pid, signal)) return
  const deadline = Date.now() + graceMs
  while (await isAlive(pid)) {
    if (Date.now() > deadline && signal === 'SIGTERM') {
      sendSignal(pid, 'SIGKILL')
      signal = 'SIGKILL'
    }
    await sleep(50)
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}
