// The `kafka-ipc kafka` commands as a user runs them: start in the background, status, stop,
// and start again on the same data folder with the data still there.
import assert from 'node:assert/strict'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { freePorts } from '../../../src/local-kafka/ports.ts'
import { isAlive } from '../../../src/local-kafka/processes.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { withEnvironment } from '../../support/environment.ts'
import { uniqueName } from '../../support/kafka.ts'

const bin = fileURLToPath(new URL('../../../src/cli/bin.ts', import.meta.url))

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr })
    })
  })
}

describe('kafka-ipc kafka start / status / stop', () => {
  let data = ''
  after(async () => {
    if (data !== '') {
      await cli('kafka', 'stop', '--data', data)
      await rm(data, { recursive: true, force: true })
    }
  })

  it('runs a broker in the background, reports it, stops it cleanly and keeps its data', async () => {
    data = await mkdtemp(join(tmpdir(), 'kafka-ipc-cli-'))
    const [port = 0] = await freePorts('127.0.0.1', 1)

    const started = await cli('kafka', 'start', '--data', data, '--port', String(port))
    assert.equal(started.code, 0, started.stderr)
    assert.equal(started.stdout.trim(), `127.0.0.1:${port}`, 'stdout is just the bootstrap address, for scripts')
    assert.match(started.stderr, /ready in \d+ ms/)
    assert.match(started.stderr, new RegExp(`export KAFKA_BROKERS=127\\.0\\.0\\.1:${port}`))

    // The CLI process has exited; the broker it started keeps serving.
    const topic = uniqueName('cli')
    const admin = new Admin({ clientId: 'cli-test', bootstrapBrokers: [`127.0.0.1:${port}`] })
    const producer = new Producer({ clientId: 'cli-test', bootstrapBrokers: [`127.0.0.1:${port}`], serializers: stringSerializers })
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    await producer.send({ messages: [{ topic, key: 'k', value: 'kept across restarts' }] })
    await producer.close()
    await admin.close()

    const again = await cli('kafka', 'start', '--data', data)
    assert.equal(again.code, 0)
    assert.match(again.stderr, /already running/)
    // Asking for another shape than what runs fails, naming what runs and what to do.
    for (const [flag, value, expected] of [
      ['--nodes', '3', /with 1 node\(s\), not 3/],
      ['--port', String(port + 1), new RegExp(`with port ${port}, not ${port + 1}`)],
    ] as const) {
      const conflicting = await cli('kafka', 'start', '--data', data, flag, value)
      assert.equal(conflicting.code, 1, `${flag} ${value} conflicts`)
      assert.match(conflicting.stderr, expected)
      assert.match(conflicting.stderr, /kafka-ipc kafka stop --data/)
      assert.equal(conflicting.stdout, '', 'no address for a script to use by mistake')
    }
    assert.equal((await cli('kafka', 'start', '--data', data, '--nodes', '1', '--port', String(port))).code, 0, 'matching options are fine')

    const status = await cli('kafka', 'status', '--data', data, '--json')
    assert.equal(status.code, 0, status.stderr)
    const report = JSON.parse(status.stdout) as { running: boolean; bootstrap: string; nodes: { pid: number; running: boolean; serving: boolean; residentBytes: number }[] }
    assert.equal(report.running, true)
    assert.equal(report.bootstrap, `127.0.0.1:${port}`)
    const [node] = report.nodes
    assert.ok(node)
    assert.equal(node.serving, true)
    assert.ok(node.residentBytes > 50 * 2 ** 20, `RSS is measured (${node.residentBytes} bytes)`)
    const table = await cli('kafka', 'status', '--data', data)
    assert.match(table.stdout, /serving/)

    const stopped = await cli('kafka', 'stop', '--data', data)
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.equal(await isAlive(node.pid), false, 'no broker process is left')
    assert.ok(!(await readdir(data)).includes('running.json'), 'no lock file is left')
    assert.ok(!(await readdir(join(data, 'node-1', 'data'))).includes('.lock'), 'no Kafka lock file is left')
    assert.equal((await cli('kafka', 'status', '--data', data)).code, 3)

    // Same folder, same port, same records.
    const restarted = await cli('kafka', 'start', '--data', data)
    assert.equal(restarted.code, 0, restarted.stderr)
    assert.equal(restarted.stdout.trim(), `127.0.0.1:${port}`)
    const consumer = new Consumer({ clientId: 'cli-test', groupId: uniqueName('cli'), bootstrapBrokers: [`127.0.0.1:${port}`], deserializers: stringDeserializers, maxWaitTime: 100 })
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
    for await (const message of stream) {
      assert.equal(message.value, 'kept across restarts')
      break
    }
    await stream.close()
    await consumer.close(true)
  })

  it('starts a listener that takes OAUTHBEARER tokens, and prints the variables a service logs in with', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'kafka-ipc-cli-oauth-'))
    try {
      const [port = 0] = await freePorts('127.0.0.1', 1)
      assert.match((await cli('kafka', 'start', '--data', folder, '--sasl', '--oauthbearer')).stderr, /Give --sasl \(SCRAM\) or --oauthbearer \(tokens\), not both/)
      const started = await cli('kafka', 'start', '--data', folder, '--port', String(port), '--oauthbearer')
      assert.equal(started.code, 0, started.stderr)
      assert.match(started.stderr, /on a SASL_PLAINTEXT listener/)
      const exported = /export (.*)/.exec(started.stderr)?.[1] ?? ''
      const variables = Object.fromEntries(exported.split(' ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))
      assert.equal(variables['KAFKA_SASL_MECHANISM'], 'OAUTHBEARER')
      assert.equal(variables['KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'], join(folder, 'security', 'admin.token'))
      assert.doesNotMatch(started.stderr, /eyJ/, 'no token printed')
      // What the export line names is all a client needs: the status command logs in with it too.
      const status = await cli('kafka', 'status', '--data', folder, '--json')
      assert.equal((JSON.parse(status.stdout) as { nodes: { serving: boolean }[] }).nodes[0]?.serving, true)
      const transport = withEnvironment(variables, () => kafkaTransport())
      try {
        assert.ok((await transport.listTopics('')).length >= 0, 'listed topics as admin with the token file')
      } finally {
        await transport.close()
      }
      assert.match((await cli('kafka', 'start', '--data', folder, '--sasl')).stderr, /with SASL OAUTHBEARER, not SCRAM-SHA-512/)
    } finally {
      await cli('kafka', 'stop', '--data', folder)
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('refuses a port that is taken, naming it', async () => {
    const other = await mkdtemp(join(tmpdir(), 'kafka-ipc-cli-'))
    try {
      const [port = 0] = await freePorts('127.0.0.1', 1)
      const { createServer } = await import('node:net')
      const blocker = createServer()
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
      try {
        const result = await cli('kafka', 'start', '--data', other, '--port', String(port))
        assert.equal(result.code, 1)
        assert.match(result.stderr, new RegExp(`KIPC_PORT_IN_USE: Port ${port}`))
      } finally {
        await new Promise((resolve) => blocker.close(resolve))
      }
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })
})
