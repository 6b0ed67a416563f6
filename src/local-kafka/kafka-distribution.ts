import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { cacheDir } from './cache-dir.ts'
import { lastLines, runCommand } from './run-command.ts'
import { findMaven } from './toolchain.ts'
import type { Environment } from '../core/environment.ts'

/**
 * The Apache Kafka release kafka-ipc runs by default. @platformatic/kafka 2.x supports brokers
 * 3.5.0–4.2.x; pass another `kafkaVersion` to run an older 3.x or a newer 4.x.
 */
export const defaultKafkaVersion = '4.2.1'

/** A Kafka broker release unpacked as jars on disk, ready for `java -cp`. */
export interface KafkaDistribution {
  readonly version: string
  readonly libsDir: string
  /**
   * The classpath argument: every jar in libsDir, sorted and listed one by one (not `libs/*`) so
   * it is identical on every start — class-data archives require the exact classpath they were made with.
   */
  readonly classpath: string
  /** Folder for files derived from this release (class-data archives). */
  readonly home: string
}

/** How to fetch a distribution and where to report progress. */
export interface DistributionOptions {
  readonly version?: string
  readonly cacheDir?: string
  readonly log?: (line: string) => void
  readonly env?: Environment
}

/**
 * Returns the cached jars of a Kafka release, fetching them through Maven from Maven Central
 * the first time: kafka_2.13 with its dependencies, plus the log4j SLF4J binding that Kafka's POM
 * leaves out (without it the broker logs nothing). Concurrent first calls are safe: each fetches
 * into its own folder and the first to finish wins the rename.
 */
export async function ensureKafkaDistribution(options: DistributionOptions = {}): Promise<KafkaDistribution> {
  const version = options.version ?? defaultKafkaVersion
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Kafka version must look like 4.2.1, got "${version}".`)
  }
  const home = join(options.cacheDir ?? cacheDir(options.env), `kafka-${version}`)
  const libsDir = join(home, 'libs')
  if (await isComplete(libsDir)) return describe(version, home, libsDir)

  const env = options.env ?? process.env
  const maven = await findMaven(env)
  options.log?.(`Fetching Apache Kafka ${version} from Maven Central into ${libsDir} (first run only)…`)
  const staging = join(home, `libs.partial-${process.pid}-${Date.now()}`)
  await mkdir(staging, { recursive: true })
  try {
    await fetchBrokerJars(maven, version, home, staging, env)
    await fetchLoggingBinding(maven, staging, env)
    await writeFile(join(staging, completeMarker), `${new Date().toISOString()}\n`)
    await rename(staging, libsDir).catch(async (error: unknown) => {
      // Another process finished first: its copy is as good as ours.
      if (await isComplete(libsDir)) return
      throw error
    })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return describe(version, home, libsDir)
}

async function describe(version: string, home: string, libsDir: string): Promise<KafkaDistribution> {
  const jars = (await readdir(libsDir)).filter((name) => name.endsWith('.jar')).sort()
  return { version, home, libsDir, classpath: jars.map((jar) => join(libsDir, jar)).join(delimiter) }
}

const completeMarker = '.complete'

async function isComplete(libsDir: string): Promise<boolean> {
  const entries: string[] = await readdir(libsDir).catch(() => [])
  return entries.includes(completeMarker)
}

async function fetchBrokerJars(maven: string, version: string, home: string, outputDir: string, env: Environment): Promise<void> {
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafka-ipc.local</groupId>
  <artifactId>kafka-broker-${version}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`
  await writeFile(join(home, 'pom.xml'), pom)
  await runMaven(maven, ['-f', join(home, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${outputDir}`], env, `kafka_2.13:${version}`)
}

/**
 * Kafka logs through SLF4J, and its POM leaves the logging backend out. Kafka 4 brings log4j2 but
 * not the bridge to it: log4j-slf4j-impl for SLF4J 1.x, log4j-slf4j2-impl for 2.x, at the log4j
 * version Kafka brought in. Kafka 3 brings no backend at all; its own distribution ships reload4j
 * (log4j 1) behind slf4j-reload4j, so that is what it gets here too — its code still reaches for
 * log4j 1 classes at start-up.
 */
async function fetchLoggingBinding(maven: string, libsDir: string, env: Environment): Promise<void> {
  const jars = await readdir(libsDir)
  const slf4j = findJarVersion(jars, 'slf4j-api')
  if (slf4j === undefined) {
    throw new KafkaIpcError('KIPC_KAFKA_DOWNLOAD_FAILED', `The Kafka jars in ${libsDir} lack slf4j-api; cannot pick a logging binding.`)
  }
  for (const artifact of loggingArtifacts(slf4j, findJarVersion(jars, 'log4j-api'))) {
    await runMaven(maven, ['dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${libsDir}`], env, artifact)
  }
}

/** The reload4j release that Kafka 3.9's own distribution ships. */
const reload4jVersion = '1.2.25'

/**
 * The Maven coordinates that connect SLF4J to a logging backend, given the versions of
 * slf4j-api and (Kafka 4 only) log4j-api among a release's jars.
 */
export function loggingArtifacts(slf4j: string, log4j: string | undefined): readonly string[] {
  if (log4j === undefined) return [`org.slf4j:slf4j-reload4j:${slf4j}`, `ch.qos.reload4j:reload4j:${reload4jVersion}`]
  const binding = slf4j.startsWith('1.') ? 'log4j-slf4j-impl' : 'log4j-slf4j2-impl'
  return [`org.apache.logging.log4j:${binding}:${log4j}`]
}

/** `slf4j-api-1.7.36.jar` → `1.7.36` for the prefix `slf4j-api`. */
export function findJarVersion(jarNames: readonly string[], artifactId: string): string | undefined {
  const pattern = new RegExp(`^${artifactId}-(\\d[^-]*)\\.jar$`)
  for (const name of jarNames) {
    const match = pattern.exec(name)
    if (match?.[1] !== undefined) return match[1]
  }
  return undefined
}

async function runMaven(maven: string, args: readonly string[], env: Environment, what: string): Promise<void> {
  const result = await runCommand(maven, ['-B', '-q', ...args], { env })
  if (result.exitCode !== 0) {
    throw new KafkaIpcError(
      'KIPC_KAFKA_DOWNLOAD_FAILED',
      `Maven could not fetch ${what} from Maven Central (exit ${result.exitCode}). Check network access to Maven Central and ~/.m2/settings.xml. Maven said:\n${lastLines(result.output, 15)}`,
      { details: { artifact: what } },
    )
  }
}
