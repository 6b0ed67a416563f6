// Runs bomb-writer-child.ts: record batches written by another process, as any Kafka client could
// write them, so that compressing them costs the test process nothing.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Bomb } from './bomb-writer-child.ts'

/** Writes `bombs` to the brokers from a child process; resolves once the broker has them all. */
export async function writeBombs(brokers: readonly string[], bombs: readonly Bomb[]): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('bomb-writer-child.ts', import.meta.url))], {
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), BOMBS: JSON.stringify(bombs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  assert.equal(code, 0, `the bomb writer failed: ${out}`)
  assert.match(out, /written/)
}
