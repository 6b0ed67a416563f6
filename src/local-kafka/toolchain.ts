import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { runCommand } from './run-command.ts'
import type { Environment } from '../core/environment.ts'

/** A Java runtime able to run the Kafka broker. */
export interface JavaRuntime {
  readonly executable: string
  readonly majorVersion: number
  /** Short hash of the exact runtime build: class-data archives are only valid for the JVM that made them. */
  readonly fingerprint: string
}

const minimumJava = 17

const noBrokerHint = 'Or skip the local broker: set KAFKA_BROKERS to the bootstrap address of an existing Kafka.'

/**
 * Finds Java 17+ — JAVA_HOME first, as every Java tool does, then `java` on PATH — and
 * explains what to install when there is none.
 */
export async function findJava(env: Environment = process.env): Promise<JavaRuntime> {
  const javaHome = env['JAVA_HOME']
  const executable = javaHome !== undefined && javaHome !== '' ? join(javaHome, 'bin', 'java') : 'java'
  const result = await runCommand(executable, ['-version'], { env })
  const majorVersion = result.exitCode === 0 ? parseJavaMajorVersion(result.output) : undefined
  if (majorVersion === undefined) {
    throw new KafkaIpcError(
      'KIPC_JAVA_MISSING',
      `Java ${minimumJava} or newer is needed to run a local Kafka broker, but ${executable} could not be run. ` +
        `Install a JDK or JRE ${minimumJava}+ (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17) ` +
        `or set JAVA_HOME to one. ${noBrokerHint}`,
      { details: { executable } },
    )
  }
  if (majorVersion < minimumJava) {
    throw new KafkaIpcError(
      'KIPC_JAVA_MISSING',
      `Java ${minimumJava} or newer is needed to run a local Kafka broker, but ${executable} is Java ${majorVersion}. ` +
        `Install Java ${minimumJava}+ and put it first on PATH or set JAVA_HOME to it. ${noBrokerHint}`,
      { details: { executable, majorVersion } },
    )
  }
  const fingerprint = createHash('sha256').update(executable).update(result.output).digest('hex').slice(0, 12)
  return { executable, majorVersion, fingerprint }
}

/**
 * Reads the major version from `java -version` output: `openjdk version "17.0.15"` gives 17,
 * the pre-9 form `"1.8.0_392"` gives 8.
 */
export function parseJavaMajorVersion(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output)
  if (match === null) return undefined
  const first = Number(match[1])
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first
}

/** Finds Maven (`mvn` on PATH, or MAVEN_CMD), needed once to fetch the broker jars. */
export async function findMaven(env: Environment = process.env): Promise<string> {
  const executable = env['MAVEN_CMD'] ?? 'mvn'
  const result = await runCommand(executable, ['--version'], { env })
  if (result.exitCode !== 0) {
    throw new KafkaIpcError(
      'KIPC_MAVEN_MISSING',
      `Maven is needed once to fetch the Apache Kafka broker jars from Maven Central, but ${executable} could not be run. ` +
        `Install it (Debian/Ubuntu: apt-get install maven; macOS: brew install maven). ${noBrokerHint}`,
      { details: { executable } },
    )
  }
  return executable
}
