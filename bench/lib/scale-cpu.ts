// CPU time from Linux's /proc: the whole machine's (so a shared machine's other work shows up in
// the table instead of hiding in the figures) and a process's by pid (the broker JVMs, whose CPU
// no IPC channel reports). Elsewhere the readings are undefined and the table prints '-'.
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'

/** Clock ticks per second of /proc's counters: 100 on every common Linux, asked once to be sure. */
const ticksPerSecond = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** The machine's busy CPU time in ms since boot (all cores: user, nice, system, irq, softirq, steal). */
export async function machineBusyMs(): Promise<number | undefined> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => undefined)
  const fields = stat?.split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number)
  if (fields === undefined || fields.length < 8) return undefined
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
  return ((user + nice + system + irq + softirq + steal) / ticksPerSecond) * 1000
}

/** CPU time (user + system) process `pid` has used, in ms, or undefined when it is gone. */
export async function processCpuMs(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat === undefined) return undefined
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000
}

/** The summed CPU ms of `pids`, or undefined when any cannot be read. */
export async function processesCpuMs(pids: readonly number[]): Promise<number | undefined> {
  const each = await Promise.all(pids.map(processCpuMs))
  return each.some((ms) => ms === undefined) ? undefined : each.reduce<number>((sum, ms) => sum + (ms ?? 0), 0)
}
