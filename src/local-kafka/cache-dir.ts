import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Environment } from '../core/environment.ts'

/**
 * Where kafka-ipc keeps the broker jars and the CLI's clusters: KAFKA_IPC_CACHE, else
 * $XDG_CACHE_HOME/kafka-ipc, else ~/.cache/kafka-ipc. Always outside the project, so nothing
 * downloaded ends up in a repository.
 */
export function cacheDir(env: Environment = process.env): string {
  const explicit = env['KAFKA_IPC_CACHE']
  if (explicit !== undefined && explicit !== '') return explicit
  const xdg = env['XDG_CACHE_HOME']
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'kafka-ipc')
}
