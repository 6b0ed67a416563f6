import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prepareNode, spawnNode, type NodeRuntime } from './broker-node.ts'
import { newClusterId, type ClusterLayout } from './cluster-layout.ts'
import { freePorts } from './ports.ts'
import { terminate } from './processes.ts'
import { waitForBrokers } from './readiness.ts'

/**
 * JVM flags that load Kafka's classes from a class-data-sharing archive (AppCDS), made once per
 * Kafka release and JVM build. Loading and verifying Kafka's and Scala's classes is most of a
 * broker's start-up on a small machine; the archive cuts it by more than a third.
 *
 * The archive is made by a training run — one broker started on a scratch folder, waited for,
 * and stopped cleanly, which is when the JVM writes the archive. Any failure only costs speed:
 * the result is cached as "no archive" and brokers start without one.
 */
export async function classDataFlags(runtime: NodeRuntime, log?: (line: string) => void): Promise<string[]> {
  const archive = join(runtime.distribution.home, `classes-${runtime.java.fingerprint}.jsa`)
  const failedMarker = `${archive}.failed`
  // Quiet: a JVM that cannot map the archive (a different build) says so on every start otherwise.
  const useFlags = [`-XX:SharedArchiveFile=${archive}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off']
  if (await exists(archive)) return useFlags
  if (await exists(failedMarker)) return []
  log?.('Preparing a class-data archive so later broker starts are faster (once)…')
  const made = await train(runtime, archive).catch(() => false)
  if (made) return useFlags
  await writeFile(failedMarker, `${new Date().toISOString()}\n`)
  return []
}

async function train(runtime: NodeRuntime, archive: string): Promise<boolean> {
  const scratch = await mkdtemp(join(tmpdir(), 'kafka-ipc-cds-'))
  const partial = `${archive}.partial-${process.pid}`
  try {
    const [brokerPort = 0, controllerPort = 0] = await freePorts('127.0.0.1', 2)
    const layout: ClusterLayout = { clusterId: newClusterId(), kafkaVersion: runtime.distribution.version, host: '127.0.0.1', nodes: [{ id: 1, brokerPort, controllerPort }] }
    const node = layout.nodes[0]
    if (node === undefined) return false
    const trainer: NodeRuntime = { ...runtime, detached: false, jvmOptions: [`-XX:ArchiveClassesAtExit=${partial}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off'] }
    const paths = await prepareNode(scratch, layout, node, trainer)
    const { pid, exited } = await spawnNode(paths, trainer)
    const ready = await waitForBrokers({ address: `127.0.0.1:${brokerPort}`, expectedIds: [1], timeoutMs: 120_000, abort: exited })
    await terminate(pid, 'SIGTERM')
    await exited
    if (!ready || !(await exists(partial))) return false
    await rename(partial, archive)
    return true
  } finally {
    await rm(partial, { force: true })
    await rm(scratch, { recursive: true, force: true })
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}
