import { spawn } from 'node:child_process'
import { mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { renderLog4j1Properties, renderLog4jProperties, renderServerProperties, type NodePaths, nodePaths } from './broker-config.ts'
import type { ClusterLayout, NodeLayout } from './cluster-layout.ts'
import type { KafkaDistribution } from './kafka-distribution.ts'
import { lastLines, runCommand } from './run-command.ts'
import { brokerSecuritySettings, type ClusterSecurity, scramFormatArguments } from './security.ts'
import type { JavaRuntime } from './toolchain.ts'

/** What a node needs to run: the JVM, the jars and memory limits. */
export interface NodeRuntime {
  readonly java: JavaRuntime
  readonly distribution: KafkaDistribution
  readonly heapMb: number
  /** Keep the JVM running after this Node.js process exits (the CLI's `kafka start`). */
  readonly detached: boolean
  /** Extra JVM flags, such as the class-data archive that makes start-up faster. */
  readonly jvmOptions: readonly string[]
  /** Broker settings over the defaults (LocalKafkaOptions.brokerConfig), checked by brokerOverrides(). */
  readonly brokerConfig?: Readonly<Record<string, string>>
}

/**
 * Writes a node's configuration and formats its KRaft storage unless already formatted.
 * Formatting is skipped on restart, which keeps the node's data. A secured cluster's SCRAM users
 * are created by the format.
 */
export async function prepareNode(dataDir: string, layout: ClusterLayout, node: NodeLayout, runtime: NodeRuntime, security?: ClusterSecurity): Promise<NodePaths> {
  const paths = nodePaths(dataDir, node.id)
  await mkdir(join(paths.root, 'logs'), { recursive: true })
  // The file holds credentials when secured: readable by this user only.
  await writeFile(paths.serverProperties, renderServerProperties(layout, node, paths, { ...runtime.brokerConfig, ...(security === undefined ? {} : brokerSecuritySettings(security, layout, node)) }), { mode: 0o600 })
  await writeFile(paths.log4jProperties, renderLog4jProperties(paths))
  await writeFile(paths.log4j1Properties, renderLog4j1Properties(paths))
  const formatted = await stat(join(paths.logDir, 'meta.properties')).then(() => true, () => false)
  if (formatted) return paths
  const result = await runCommand(runtime.java.executable, [
    ...jvmArgs(paths, 128, runtime),
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    layout.clusterId,
    '--config',
    paths.serverProperties,
    ...scramFormatArguments(security),
  ])
  if (result.exitCode !== 0) {
    throw new KafkaIpcError('KIPC_LOCAL_KAFKA_START_FAILED', `Formatting storage of Kafka node ${node.id} failed:\n${lastLines(result.output, 15)}`, {
      details: { node: node.id },
    })
  }
  return paths
}

function jvmArgs(paths: NodePaths, heapMb: number, runtime: NodeRuntime): string[] {
  return [
    ...runtime.jvmOptions,
    `-Xmx${heapMb}m`,
    '-Xms64m',
    // Kafka's own launch script flags: short GC pauses keep produce/fetch latency low.
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    // Each logging backend reads its own property; the one a release does not use is ignored.
    `-Dlog4j2.configurationFile=${paths.log4jProperties}`,
    `-Dlog4j.configuration=file:${paths.log4j1Properties}`,
    `-Dkafka.logs.dir=${join(paths.root, 'logs')}`,
    '-cp',
    runtime.distribution.classpath,
  ]
}

/**
 * Starts the broker JVM of a prepared node, its stdout and stderr going to logs/stdout.log.
 * Returns the pid; the caller waits for readiness.
 */
export async function spawnNode(paths: NodePaths, runtime: NodeRuntime): Promise<{ pid: number; exited: Promise<number | null> }> {
  const out = await open(paths.stdoutLog, 'a')
  try {
    const args = [...jvmArgs(paths, runtime.heapMb, runtime), 'kafka.Kafka', paths.serverProperties]
    const child = spawn(runtime.java.executable, args, { detached: runtime.detached, stdio: ['ignore', out.fd, out.fd] })
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve(signal === null ? code : null)
      })
      child.once('error', () => {
        resolve(null)
      })
    })
    if (child.pid === undefined) {
      throw new KafkaIpcError('KIPC_LOCAL_KAFKA_START_FAILED', `Could not start ${runtime.java.executable} for Kafka node ${paths.root}.`)
    }
    if (runtime.detached) child.unref()
    return { pid: child.pid, exited }
  } finally {
    await out.close()
  }
}

/**
 * Removes the `.lock` files Kafka leaves in its log folders. Only called once the node's process
 * is gone, so no live broker loses its lock.
 */
export async function removeStaleLocks(paths: NodePaths): Promise<void> {
  const entries: string[] = await readdir(paths.logDir).catch(() => [])
  if (entries.includes('.lock')) await rm(join(paths.logDir, '.lock'), { force: true })
}
