// A service started before its broker: it waits, logging once what it waits for, and comes up by
// itself when the broker does; if no broker comes within the connect timeout, it fails with one
// line that names the addresses, the cause and what to check.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import { z } from 'zod'
import { route } from '../../../../src/core/contracts.ts'
import { Client } from '../../../../src/core/client.ts'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import type { Logger } from '../../../../src/core/logger.ts'
import { definePolicy } from '../../../../src/core/policy.ts'
import { Service } from '../../../../src/core/service.ts'
import { LocalKafka } from '../../../../src/local-kafka/index.ts'
import { freePorts } from '../../../../src/local-kafka/ports.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName } from '../../../support/kafka.ts'

const ping = route('late', 'POST /ping', { reply: z.object({ pong: z.boolean() }) })

function capturingLogger(): { logger: Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = []
  const at = (level: string) => (_details: object, message: string) => lines.push({ level, message })
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines }
}

describe('a service started before its broker', () => {
  it('fails with one clear line when no broker comes within the connect timeout', async () => {
    const [port = 0] = await freePorts('127.0.0.1', 1)
    const { logger, lines } = capturingLogger()
    const transport = kafkaTransport({ brokers: `127.0.0.1:${port}`, connectTimeoutMs: 2_000, logger })
    const service = new Service({ name: 'late', transport, policy: definePolicy({ prefix: uniqueName('r') }), logger, ownsTransport: true })
    service.handle(ping, () => ({ pong: true }))
    const started = Date.now()
    const error: unknown = await service.listen().catch((caught: unknown) => caught)
    const tookMs = Date.now() - started
    await service.close()
    assert.ok(isKafkaIpcError(error, 'KIPC_BROKER_UNREACHABLE'), String(error))
    assert.equal(error.retryable, true)
    assert.match(error.message, new RegExp(`Cannot reach Kafka at 127\\.0\\.0\\.1:${port} \\(from the brokers option\\) after \\d+\\.\\d s: .*ECONNREFUSED.*Check KAFKA_BROKERS`))
    assert.ok(tookMs >= 2_000 && tookMs < 10_000, `gave up after the connect timeout (${tookMs} ms)`)
    assert.equal(String(error.stack).split('\n').length, 1, 'the stack is the one line')
    assert.ok(inspect(error).split('\n').length < 15, `printed, it stays short:\n${inspect(error)}`)
    assert.deepEqual(
      lines.map((line) => line.level),
      ['warn'],
      'one line while waiting, not one per retry',
    )
    assert.match(lines[0]?.message ?? '', /waiting for Kafka at 127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\); giving up after 2 s/)
  })

  it('tells a client that logs in to a listener without SASL to stop logging in, at once', async () => {
    await using kafka = await LocalKafka.start({})
    const transport = kafkaTransport({ brokers: kafka.brokers, sasl: { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: 'secret' }, connectTimeoutMs: 30_000, logger: capturingLogger().logger })
    const started = Date.now()
    const error: unknown = await transport.listTopics('').catch((caught: unknown) => caught)
    const tookMs = Date.now() - started
    await transport.close()
    assert.ok(isKafkaIpcError(error, 'KIPC_AUTHENTICATION_FAILED'), String(error))
    assert.match(error.message, /: this broker listener takes no SASL login\. Unset KAFKA_SASL_USERNAME \(or the sasl option\)/)
    assert.doesNotMatch(error.message, /offers\s+only|password is wrong/)
    assert.ok(tookMs < 5_000, `failed fast (${tookMs} ms)`)
  })

  it('tells a client without a login that a SASL_PLAINTEXT listener expects one, at once, instead of waiting out the connect timeout', async () => {
    await using kafka = await LocalKafka.start({ security: { tls: false, users: { pricing: 'secret' } } })
    const transport = kafkaTransport({ brokers: kafka.brokers, connectTimeoutMs: 30_000, logger: capturingLogger().logger })
    const started = Date.now()
    const error: unknown = await transport.listTopics('').catch((caught: unknown) => caught)
    const tookMs = Date.now() - started
    await transport.close()
    assert.ok(isKafkaIpcError(error, 'KIPC_AUTHENTICATION_FAILED'), String(error))
    assert.match(error.message, /\(from the brokers option; plaintext\) expects a SASL login \(it offers SCRAM-SHA-512\) and this client makes none/)
    assert.ok(tookMs < 5_000, `failed fast (${tookMs} ms)`)
  })

  it('comes up by itself when the broker starts later, and says so once', { timeout: 180_000 }, async () => {
    const [port = 0] = await freePorts('127.0.0.1', 1)
    const { logger, lines } = capturingLogger()
    const policy = definePolicy({ prefix: uniqueName('r'), partitions: 1 })
    const service = new Service({ name: 'late', transport: kafkaTransport({ brokers: `127.0.0.1:${port}`, connectTimeoutMs: 150_000, logger }), policy, logger, ownsTransport: true })
    service.handle(ping, () => ({ pong: true }))
    const listening = service.listen()
    let kafka: LocalKafka | undefined
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      assert.equal(service.health().status, 'starting')
      kafka = await LocalKafka.start({ port })
      await listening
      const client = new Client({ name: 'caller', transport: kafkaTransport({ brokers: kafka.brokers, logger }), policy, logger, ownsTransport: true })
      try {
        assert.deepEqual(await client.call(ping, { timeout: 30_000 }), { pong: true })
      } finally {
        await client.close()
      }
      const levels = lines.map((line) => `${line.level}: ${line.message}`)
      assert.equal(levels.filter((line) => line.startsWith('warn: waiting for Kafka')).length, 1, levels.join('\n'))
      assert.equal(levels.filter((line) => /^info: connected to Kafka at .* after \d+\.\d s$/.test(line)).length, 1, levels.join('\n'))
    } finally {
      await service.close()
      await kafka?.stop()
    }
  })
})
