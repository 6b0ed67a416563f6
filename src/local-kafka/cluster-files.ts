import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { type ClusterLayout, isClusterLayout } from './cluster-layout.ts'

/**
 * The two files a cluster keeps in its data folder: `layout.json` (ids, ports, cluster id — kept
 * across restarts) and `running.json` (pids of live nodes — the lock; removed on stop).
 */
export interface RunningState {
  readonly pids: Readonly<Record<string, number>>
  readonly startedAt: string
}

const layoutFile = 'layout.json'
const runningFile = 'running.json'

export async function readLayout(dataDir: string): Promise<ClusterLayout | undefined> {
  const parsed = await readJson(join(dataDir, layoutFile))
  if (parsed === undefined) return undefined
  if (!isClusterLayout(parsed)) {
    throw new KafkaIpcError('KIPC_LOCAL_KAFKA_CONFLICT', `${join(dataDir, layoutFile)} is not a kafka-ipc cluster layout; delete the folder or pick another --data.`)
  }
  return parsed
}

export async function writeLayout(dataDir: string, layout: ClusterLayout): Promise<void> {
  await writeFile(join(dataDir, layoutFile), JSON.stringify(layout, null, 2) + '\n')
}

export async function readRunning(dataDir: string): Promise<RunningState | undefined> {
  const parsed = await readJson(join(dataDir, runningFile))
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const pids = (parsed as Record<string, unknown>)['pids']
  if (typeof pids !== 'object' || pids === null) return undefined
  const clean: Record<string, number> = {}
  for (const [id, pid] of Object.entries(pids)) if (Number.isInteger(pid)) clean[id] = pid as number
  return { pids: clean, startedAt: String((parsed as Record<string, unknown>)['startedAt']) }
}

export async function writeRunning(dataDir: string, state: RunningState): Promise<void> {
  await writeFile(join(dataDir, runningFile), JSON.stringify(state, null, 2) + '\n')
}

export async function removeRunning(dataDir: string): Promise<void> {
  await rm(join(dataDir, runningFile), { force: true })
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new KafkaIpcError('KIPC_LOCAL_KAFKA_CONFLICT', `${path} is not valid JSON; delete the data folder or pick another --data.`)
  }
}
