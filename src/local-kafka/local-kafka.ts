/// <reference lib="esnext.disposable" preserve="true" />
// `await using kafka = await LocalKafka.start()` needs the disposable symbols in the user's types too.
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { nodePaths } from './broker-config.ts'
import { classDataFlags } from './class-data-archive.ts'
import { prepareNode, removeStaleLocks, spawnNode, type NodeRuntime } from './broker-node.ts'
import { brokerOverrides } from './broker-overrides.ts'
import { readLayout, readRunning, removeRunning, writeLayout, writeRunning } from './cluster-files.ts'
import { assertPortsFree, resolveLayout } from './layout-planning.ts'
import { bootstrapOf, type ClusterLayout, type NodeLayout } from './cluster-layout.ts'
import { onProcessExit } from './exit-cleanup.ts'
import { defaultKafkaVersion, ensureKafkaDistribution } from './kafka-distribution.ts'
import { isOurProcess, residentBytes, terminate } from './processes.ts'
import { waitForBrokers } from './readiness.ts'
import { findJava } from './toolchain.ts'
import type { LocalKafkaAcl } from './acl-rules.ts'
import { createAcls } from './acls.ts'
import type { LocalKafkaNodeStatus, LocalKafkaOptions } from './local-kafka-options.ts'
import { clientEnvironment, clientSecurity, type ClusterSecurity, type LocalKafkaConnection, type LocalKafkaSecurity, publicSecurity, readSecurity, resolveSecurity } from './security.ts'

export type { LocalKafkaNodeStatus, LocalKafkaOptions } from './local-kafka-options.ts'

interface LiveNode {
  pid: number
  exited: Promise<number | null> | undefined
}

/**
 * A real Apache Kafka cluster on loopback, run from the Maven Central jars with the local Java —
 * no Docker. For integration tests and local development.
 *
 * @example
 * ```ts
 * import { LocalKafka } from 'kafka-ipc/local-kafka'
 * await using kafka = await LocalKafka.start({ nodes: 3 })
 * console.log(kafka.bootstrap) // 127.0.0.1:40001,127.0.0.1:40002,127.0.0.1:40003
 * await kafka.killNode(2)      // SIGKILL, as a crash would
 * await kafka.restartNode(2)   // back, and serving, when this resolves
 *
 * // SASL/SCRAM-SHA-512 over TLS, with ACLs (docs/security.md)
 * await using secured = await LocalKafka.start({ security: { users: { pricing: 'pricing-secret' }, acls: true } })
 * const transport = kafkaTransport(secured.connection('pricing'))
 * ```
 */
export class LocalKafka {
  readonly #dataDir: string
  readonly #layout: ClusterLayout
  readonly #runtime: NodeRuntime | undefined
  readonly #ownsDataDir: boolean
  readonly #readyTimeoutMs: number
  readonly #security: ClusterSecurity | undefined
  readonly #live = new Map<number, LiveNode>()
  #readyInMs = 0
  #unregisterExit: (() => void) | undefined

  private constructor(dataDir: string, layout: ClusterLayout, runtime: NodeRuntime | undefined, ownsDataDir: boolean, readyTimeoutMs: number, security: ClusterSecurity | undefined) {
    this.#dataDir = dataDir
    this.#layout = layout
    this.#runtime = runtime
    this.#ownsDataDir = ownsDataDir
    this.#readyTimeoutMs = readyTimeoutMs
    this.#security = security
  }

  /** Starts the cluster (formatting storage on first use) and resolves once every node serves metadata. */
  static async start(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
    const began = performance.now()
    const size = options.nodes ?? 1
    if (!Number.isInteger(size) || size < 1 || size > 9) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `nodes must be an integer from 1 to 9, got ${String(options.nodes)}.`)
    }
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port + size - 1 > 65535)) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `port must be an integer from 1 to ${65536 - size}, got ${String(options.port)}.`)
    }
    const brokerConfig = brokerOverrides(options.brokerConfig)
    const ownsDataDir = options.dataDir === undefined
    const dataDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'kafka-ipc-')) : resolve(options.dataDir)
    let kafka: LocalKafka | undefined
    try {
      await mkdir(dataDir, { recursive: true })
      // Java first: without it, downloading the broker would be wasted.
      const java = await findJava()
      const distribution = await ensureKafkaDistribution({
        version: options.kafkaVersion ?? defaultKafkaVersion,
        ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
        ...(options.log === undefined ? {} : { log: options.log }),
      })
      const running = await LocalKafka.attach(dataDir)
      if (running !== undefined) {
        throw new KafkaIpcError('KIPC_LOCAL_KAFKA_CONFLICT', `A local Kafka is already running from ${dataDir} at ${running.bootstrap}; stop it first.`, {
          details: { dataDir, bootstrap: running.bootstrap },
        })
      }
      const fresh = !(await LocalKafka.hasLayout(dataDir))
      const layout = await resolveLayout(dataDir, size, options.port, distribution.version)
      await assertPortsFree(layout)
      await writeLayout(dataDir, layout)
      const security = await resolveSecurity(dataDir, options.security, fresh, java, layout.host)
      const baseRuntime: NodeRuntime = { java, distribution, heapMb: options.heapMb ?? 512, detached: options.detached ?? false, jvmOptions: [], brokerConfig }
      const runtime: NodeRuntime = { ...baseRuntime, jvmOptions: await classDataFlags(baseRuntime, options.log) }
      kafka = new LocalKafka(dataDir, layout, runtime, ownsDataDir, options.readyTimeoutMs ?? 120_000, security)
      options.log?.(`Starting ${size} Kafka ${distribution.version} node(s) in ${dataDir}…`)
      const starting = kafka
      await Promise.all(layout.nodes.map((node) => starting.#launch(node)))
      await kafka.#waitReady(layout.nodes.map((node) => node.id))
    } catch (error) {
      await kafka?.stop()
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true })
      throw error
    }
    kafka.#readyInMs = Math.round(performance.now() - began)
    return kafka
  }

  /**
   * Attaches to a cluster started from `dataDir` by another process (the CLI's `kafka start`), or
   * returns undefined when none runs there. An attached cluster can report status and be stopped;
   * it cannot restart nodes.
   */
  static async attach(dataDir: string): Promise<LocalKafka | undefined> {
    const folder = resolve(dataDir)
    const [layout, running, security] = await Promise.all([readLayout(folder), readRunning(folder), readSecurity(folder)])
    if (layout === undefined || running === undefined) return undefined
    const kafka = new LocalKafka(folder, layout, undefined, false, 0, security)
    for (const node of layout.nodes) {
      const pid = running.pids[String(node.id)]
      if (pid !== undefined && (await isOurProcess(pid, nodePaths(folder, node.id).serverProperties))) {
        kafka.#live.set(node.id, { pid, exited: undefined })
      }
    }
    if (kafka.#live.size > 0) return kafka
    // Every recorded node is gone (a crash or a reboot): clear the stale lock.
    await removeRunning(folder)
    return undefined
  }

  /** True when `dataDir` already holds a cluster made by an earlier start (running or not). */
  static async hasLayout(dataDir: string): Promise<boolean> {
    return (await readLayout(resolve(dataDir))) !== undefined
  }

  /** Bootstrap address for clients: `host:port` of every broker, comma separated. */
  get bootstrap(): string {
    return bootstrapOf(this.#layout)
  }

  /** Broker addresses as a list, the form most Kafka clients take. */
  get brokers(): string[] {
    return this.bootstrap.split(',')
  }

  /** Node ids, 1 to the cluster size. */
  get nodeIds(): number[] {
    return this.#layout.nodes.map((node) => node.id)
  }

  /** The folder holding data, config and logs. */
  get dataDir(): string {
    return this.#dataDir
  }

  /** Milliseconds start() took until every node was ready; 0 for an attached cluster. */
  get readyInMs(): number {
    return this.#readyInMs
  }

  /** The Apache Kafka release this cluster runs. */
  get kafkaVersion(): string {
    return this.#layout.kafkaVersion
  }

  /** How the secured client listener is reached; undefined for a plaintext cluster. */
  get security(): LocalKafkaSecurity | undefined {
    return publicSecurity(this.#security)
  }

  /**
   * The brokers, SASL login and CA to trust for `username` (default: admin, a super user) — pass
   * it to `kafkaTransport()`. A plaintext cluster gives only the brokers.
   *
   * @example
   * ```ts
   * const client = createClient({ name: 'booking', transport: kafkaTransport(kafka.connection('booking')) })
   * ```
   */
  connection(username?: string): LocalKafkaConnection {
    return { brokers: this.brokers, ...clientSecurity(this.#security, username) }
  }

  /**
   * Environment variables that make kafka-ipc in another process reach this cluster as `username`
   * (default admin): KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TLS, KAFKA_TLS_CA_FILE.
   *
   * @example
   * ```ts
   * spawn(process.execPath, ['pricing.ts'], { env: { ...process.env, ...kafka.environment('pricing') } })
   * ```
   */
  environment(username?: string): Record<string, string> {
    return clientEnvironment(this.#security, this.bootstrap, username)
  }

  /**
   * Creates ACLs as the admin user and resolves once the broker lists them. Needs a cluster started
   * with `security: { acls: true }`.
   *
   * @example
   * ```ts
   * await kafka.createAcls([
   *   { principal: 'pricing', resource: 'topic', name: 'kipc.pricing.requests', operations: ['READ', 'CREATE'] },
   *   { principal: 'pricing', resource: 'group', name: 'kipc.pricing', pattern: 'prefixed', operations: ['READ'] },
   * ])
   * ```
   */
  async createAcls(acls: readonly LocalKafkaAcl[]): Promise<void> {
    if (this.#security?.acls !== true) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', 'ACLs need a cluster started with security: { acls: true }.')
    await createAcls({ clientId: 'kafka-ipc-local-kafka', bootstrapBrokers: this.brokers, ...clientSecurity(this.#security) }, acls)
  }

  /** Pid, liveness and resident memory of every node. */
  async status(): Promise<LocalKafkaNodeStatus[]> {
    return Promise.all(
      this.#layout.nodes.map(async (node) => {
        const pid = this.#live.get(node.id)?.pid
        const paths = nodePaths(this.#dataDir, node.id)
        const running = pid !== undefined && (await isOurProcess(pid, paths.serverProperties))
        return {
          id: node.id,
          address: `${this.#layout.host}:${node.brokerPort}`,
          pid,
          running,
          residentBytes: running ? await residentBytes(pid) : undefined,
          logFile: paths.serverLog,
        }
      }),
    )
  }

  /** Kills node `id` with SIGKILL, as a crash or an OOM kill would, and waits until it is gone. */
  async killNode(id: number): Promise<void> {
    await this.#signalNode(id, 'SIGKILL')
  }

  /** Stops node `id` gracefully (SIGTERM; SIGKILL after 30 s) and waits until it is gone. */
  async stopNode(id: number): Promise<void> {
    await this.#signalNode(id, 'SIGTERM')
  }

  /**
   * Starts node `id` again on its old data and ports, and resolves once the cluster reports it
   * alive. Stops it first if it still runs.
   */
  async restartNode(id: number): Promise<void> {
    const node = this.#node(id)
    if (this.#live.has(id)) await this.stopNode(id)
    await this.#launch(node)
    await this.#waitReady([id])
    await this.#saveRunning()
  }

  /**
   * Stops every node (SIGTERM, then SIGKILL after 30 s) and removes the lock file; a temporary
   * data folder is deleted. Safe to call twice.
   */
  async stop(): Promise<void> {
    await Promise.all([...this.#live.keys()].map((id) => this.stopNode(id)))
    await removeRunning(this.#dataDir)
    this.#unregisterExit?.()
    this.#unregisterExit = undefined
    if (this.#ownsDataDir) await rm(this.#dataDir, { recursive: true, force: true })
  }

  /** `await using kafka = await LocalKafka.start()` stops the cluster at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }

  #node(id: number): NodeLayout {
    const node = this.#layout.nodes.find((candidate) => candidate.id === id)
    if (node === undefined) {
      throw new KafkaIpcError('KIPC_UNKNOWN_NODE', `This local cluster has nodes ${this.nodeIds.join(', ')}; there is no node ${id}.`, { details: { node: id } })
    }
    return node
  }

  async #signalNode(id: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    this.#node(id)
    const live = this.#live.get(id)
    if (live === undefined) return
    await terminate(live.pid, signal)
    await live.exited
    this.#live.delete(id)
    await removeStaleLocks(nodePaths(this.#dataDir, id))
    await this.#saveRunning()
  }

  async #launch(node: NodeLayout): Promise<void> {
    const runtime = this.#runtime
    if (runtime === undefined) {
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', 'A cluster attached from another process cannot start nodes; stop it and start it again.')
    }
    const paths = await prepareNode(this.#dataDir, this.#layout, node, runtime, this.#security)
    const { pid, exited } = await spawnNode(paths, runtime)
    this.#live.set(node.id, { pid, exited })
    if (!runtime.detached) {
      this.#unregisterExit ??= onProcessExit(() => {
        this.#killAllNow()
      })
    }
    await this.#saveRunning()
  }

  async #waitReady(ids: readonly number[]): Promise<void> {
    for (const id of ids) {
      const node = this.#node(id)
      const live = this.#live.get(id)
      let exitCode: number | null | undefined
      const abort = (live?.exited ?? new Promise<never>(() => undefined)).then((code) => {
        exitCode = code
      })
      const address = `${this.#layout.host}:${node.brokerPort}`
      const ready = await waitForBrokers({ address, expectedIds: ids, timeoutMs: this.#readyTimeoutMs, abort, security: clientSecurity(this.#security) })
      if (ready) continue
      const logFile = nodePaths(this.#dataDir, id).serverLog
      const why = exitCode === undefined ? `was not ready after ${this.#readyTimeoutMs} ms` : `exited with code ${String(exitCode)}`
      throw new KafkaIpcError('KIPC_LOCAL_KAFKA_START_FAILED', `Kafka node ${id} (${address}) ${why}; see ${logFile} and ${nodePaths(this.#dataDir, id).stdoutLog}.`, {
        details: { node: id, logFile },
      })
    }
  }

  async #saveRunning(): Promise<void> {
    const pids: Record<string, number> = {}
    for (const [id, live] of this.#live) pids[String(id)] = live.pid
    await writeRunning(this.#dataDir, { pids, startedAt: new Date().toISOString() })
  }

  /** At process exit nothing async can run: kill the JVMs and drop a temporary folder synchronously. */
  #killAllNow(): void {
    for (const live of this.#live.values()) {
      try {
        process.kill(live.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    this.#live.clear()
    if (this.#ownsDataDir) rmSync(this.#dataDir, { recursive: true, force: true })
  }
}
