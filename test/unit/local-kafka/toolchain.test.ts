import assert from 'node:assert/strict'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type TestContext, describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { findJava, findMaven, parseJavaMajorVersion } from '../../../src/local-kafka/toolchain.ts'
import { temporaryFolder } from '../../support/temporary-folder.ts'

describe('parseJavaMajorVersion', () => {
  it('reads modern and pre-9 version strings', () => {
    assert.equal(parseJavaMajorVersion('openjdk version "17.0.15" 2025-04-15'), 17)
    assert.equal(parseJavaMajorVersion('openjdk version "25" 2025-09-16'), 25)
    assert.equal(parseJavaMajorVersion('java version "1.8.0_392"'), 8)
    assert.equal(parseJavaMajorVersion('no version here'), undefined)
  })
})

/** A JAVA_HOME whose bin/java prints `versionLine` the way `java -version` does. */
async function fakeJavaHome(t: TestContext, versionLine: string): Promise<string> {
  const home = await temporaryFolder(t, 'fake-java-')
  await mkdir(join(home, 'bin'))
  await writeFile(join(home, 'bin', 'java'), `#!/bin/sh\necho '${versionLine}' >&2\n`)
  await chmod(join(home, 'bin', 'java'), 0o755)
  return home
}

describe('findJava', () => {
  it('says what to install when Java cannot be run', async () => {
    const error: unknown = await findJava({ ...process.env, JAVA_HOME: '/nonexistent/jdk' }).catch((e: unknown) => e)
    assert.ok(isKafkaIpcError(error, 'KIPC_JAVA_MISSING'))
    assert.match(error.message, /Java 17 or newer/)
    assert.match(error.message, /apt-get install openjdk-17/)
    assert.match(error.message, /KAFKA_BROKERS/)
  })

  it('refuses Java older than 17 and names the version found', async (t) => {
    const home = await fakeJavaHome(t, 'openjdk version "11.0.2" 2019-01-15')
    const error: unknown = await findJava({ ...process.env, JAVA_HOME: home }).catch((e: unknown) => e)
    assert.ok(isKafkaIpcError(error, 'KIPC_JAVA_MISSING'))
    assert.match(error.message, /is Java 11/)
  })

  it('accepts Java 17+ and fingerprints the exact build', async (t) => {
    const a = await findJava({ ...process.env, JAVA_HOME: await fakeJavaHome(t, 'openjdk version "21.0.1" 2023-10-17') })
    const b = await findJava({ ...process.env, JAVA_HOME: await fakeJavaHome(t, 'openjdk version "21.0.2" 2024-01-16') })
    assert.equal(a.majorVersion, 21)
    assert.notEqual(a.fingerprint, b.fingerprint)
  })
})

describe('findMaven', () => {
  it('says what to install when Maven cannot be run', async () => {
    const error: unknown = await findMaven({ ...process.env, MAVEN_CMD: '/nonexistent/mvn' }).catch((e: unknown) => e)
    assert.ok(isKafkaIpcError(error, 'KIPC_MAVEN_MISSING'))
    assert.match(error.message, /apt-get install maven/)
  })
})
