import { join } from 'node:path'
import type { ClusterLayout, NodeLayout } from './cluster-layout.ts'

/** Files and folders of one node inside the cluster's data folder. */
export interface NodePaths {
  readonly root: string
  readonly logDir: string
  readonly serverProperties: string
  readonly log4jProperties: string
  /** The same for log4j 1 (reload4j), which Kafka 3 logs through. */
  readonly log4j1Properties: string
  readonly serverLog: string
  readonly stdoutLog: string
}

/** Where node `id` keeps its data, config and logs under the cluster's data folder. */
export function nodePaths(dataDir: string, id: number): NodePaths {
  const root = join(dataDir, `node-${id}`)
  return {
    root,
    logDir: join(root, 'data'),
    serverProperties: join(root, 'server.properties'),
    log4jProperties: join(root, 'log4j2.properties'),
    log4j1Properties: join(root, 'log4j.properties'),
    serverLog: join(root, 'logs', 'server.log'),
    stdoutLog: join(root, 'logs', 'stdout.log'),
  }
}

/**
 * server.properties for one node in KRaft combined mode (broker and controller in one JVM) with
 * a static voter set, on loopback only. Replication follows the cluster size: a single node uses
 * factor 1; three or more use factor 3 with min.insync.replicas 2, so one node can die without
 * losing acknowledged writes. `overrides` (a secured listener's settings) win over these.
 */
export function renderServerProperties(layout: ClusterLayout, node: NodeLayout, paths: NodePaths, overrides: Readonly<Record<string, string>> = {}): string {
  const size = layout.nodes.length
  const replication = Math.min(3, size)
  const minInSync = size >= 3 ? 2 : 1
  const voters = layout.nodes.map((voter) => `${voter.id}@${layout.host}:${voter.controllerPort}`).join(',')
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://${layout.host}:${node.brokerPort},CONTROLLER://${layout.host}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${layout.host}:${node.brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': paths.logDir,
    'num.partitions': 1,
    'default.replication.factor': replication,
    'min.insync.replicas': minInSync,
    'offsets.topic.replication.factor': replication,
    // Fewer offsets partitions than the default 50: a dev broker creates them faster on first use.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': minInSync,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': minInSync,
    // A group forms at once instead of waiting 3 s for more members: tests and dev loops start faster.
    'group.initial.rebalance.delay.ms': 0,
    // kafka-ipc's 3 s session (a crashed instance's partitions move within about 3 s) is below the
    // broker's default minimum of 6 s; production brokers need the same setting for it, else
    // services fall back to 6 s (docs/reliability.md#takeover-after-a-crash).
    'group.min.session.timeout.ms': 1000,
    'unclean.leader.election.enable': false,
    // A killed node is fenced after 4 s rather than 9 s, so fault tests see leadership move quickly.
    'broker.heartbeat.interval.ms': 1000,
    'broker.session.timeout.ms': 4000,
    'num.network.threads': 2,
    'num.io.threads': 4,
    // A secured listener's settings (security.ts) replace the plaintext listener's.
    ...overrides,
  }
  return Object.entries(settings).map(([key, value]) => `${key}=${String(value)}`).join('\n') + '\n'
}

/**
 * A log4j2 configuration that writes the node's log to a file. Kafka's own log4j2.yaml is not in
 * the jars, and without a configuration log4j2 prints only errors to the console.
 */
export function renderLog4jProperties(paths: NodePaths): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${paths.serverLog}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = file',
    // The per-request and state-change chatter dwarfs what a developer needs from a dev broker.
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    '',
  ].join('\n')
}

/**
 * The log4j 1 configuration of {@link renderLog4jProperties}, for Kafka 3: the node's log in a
 * file, request and state-change chatter left out.
 */
export function renderLog4j1Properties(paths: NodePaths): string {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${paths.serverLog}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    '',
  ].join('\n')
}
