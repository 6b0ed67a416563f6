// The demo's transcript: every line says when (seconds since the demo began) and who (a service,
// the web front end, or the demo itself), so the order of events across services can be read.
import { performance } from 'node:perf_hooks'

export interface Transcript {
  /** A numbered heading for the next step of the story. */
  step(title: string): void
  /** One line said by `who`. */
  say(who: string, text: string): void
  /** A problem, on stderr. */
  warn(who: string, text: string): void
  /** Milliseconds since `since` (a performance.now() reading), for "took …" notes. */
  took(since: number): string
}

export function createTranscript(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Transcript {
  const began = performance.now()
  let steps = 0
  const stamp = (): string => `${((performance.now() - began) / 1000).toFixed(3)}s`.padStart(9)
  return {
    step: (title) => {
      write(`\n${++steps}. ${title}`)
    },
    say: (who, text) => {
      write(`${stamp()}  ${who.padEnd(13)} ${text}`)
    },
    warn: (who, text) => {
      process.stderr.write(`${stamp()}  ${who.padEnd(13)} ! ${text}\n`)
    },
    took: (since) => `${Math.round(performance.now() - since)} ms`,
  }
}
