import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import type { Environment } from '../core/environment.ts'

/** What a finished command left behind. */
export interface CommandResult {
  readonly exitCode: number | null
  readonly output: string
}

/**
 * Runs a command to completion and collects stdout and stderr together, as a person would see them.
 * Resolves with exitCode null when the executable does not exist, so callers can say what to install.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: Environment } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.once('error', (error) => {
      resolve({ exitCode: null, output: error.message })
    })
    child.once('close', (code) => {
      resolve({ exitCode: code, output: Buffer.concat(chunks).toString('utf8') })
    })
  })
}

/** The last `count` non-empty lines of a command's output, for error messages. */
export function lastLines(output: string, count: number): string {
  return output.split('\n').filter((line) => line.trim() !== '').slice(-count).join('\n')
}
