// SASL/OAUTHBEARER on a real broker: a LocalKafka whose listener validates tokens with Kafka's
// unsecured validator (unsigned tokens, the principal in `sub`) and denies what no ACL allows. A
// service given a token function and a client given a token file (as an operator sets
// KAFKA_SASL_OAUTHBEARER_TOKEN_FILE) call each other as the principals their tokens name; an
// expired token fails at once with an error about the token; a principal without ACLs is refused.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { route } from '../../../src/core/contracts.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import type { Logger } from '../../../src/core/logger.ts'
import { definePolicy, type Policy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { LocalKafka } from '../../../src/local-kafka/index.ts'
import { unsecuredToken } from '../../../src/local-kafka/unsecured-token.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName } from '../../support/kafka.ts'
import { instanceAcls, refusedListen, serviceAcls } from './secured-clients.ts'
import { withEnvironment } from '../../support/environment.ts'

const quote = route('pricing', 'POST /quotes', { body: z.object({ from: z.string() }), reply: z.object({ price: z.number(), caller: z.string() }) })
const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined }
const reauthMs = 3_000

describe('Kafka with SASL/OAUTHBEARER and ACLs', () => {
  let kafka: LocalKafka
  let policy: Policy
  let prefix: string

  before(async () => {
    // Sessions of 3 s: every connection logs in anew every ~2.4 s, as brokers that bound sessions make clients do.
    kafka = await LocalKafka.start({ security: { sasl: 'OAUTHBEARER', tls: false, acls: true }, brokerConfig: { 'connections.max.reauth.ms': reauthMs } })
    prefix = uniqueName('oauth')
    policy = definePolicy({ prefix, partitions: 1 })
    await kafka.createAcls([...serviceAcls(prefix, 'pricing', []), ...instanceAcls(prefix, 'booking'), { principal: 'booking', resource: 'topic', name: `${prefix}.pricing.requests`, operations: ['WRITE'] }])
  })
  after(async () => {
    await kafka.stop()
  })

  it('lets a service with a token function and a client with a token file call each other as the principals the tokens name', async () => {
    assert.equal(kafka.security?.protocol, 'SASL_PLAINTEXT')
    assert.equal(kafka.security.mechanism, 'OAUTHBEARER')
    let asked = 0
    const token = (): string => {
      asked++
      return unsecuredToken('pricing', 600)
    }
    const service = new Service({ name: 'pricing', transport: kafkaTransport({ brokers: kafka.brokers, sasl: { mechanism: 'OAUTHBEARER', token }, logger: quiet }), policy, logger: quiet, ownsTransport: true })
    service.handle(quote, (request, context) => ({ price: request.body.from === 'WAW' ? 120 : 80, caller: context.caller ?? '' }))
    const environment = kafka.environment('booking')
    assert.equal(environment['KAFKA_SASL_MECHANISM'], 'OAUTHBEARER')
    const client = new Client({ name: 'booking', transport: withEnvironment(environment, () => kafkaTransport({ logger: quiet })), policy, logger: quiet, ownsTransport: true })
    try {
      await service.listen()
      assert.deepEqual(await client.call(quote, { body: { from: 'WAW' }, timeout: 20_000 }), { price: 120, caller: 'booking' })
      // The producer, the admin client and the consumer group each connect, and each asks.
      const connected = asked
      assert.ok(connected >= 2, `a fresh token for each new connection (asked ${String(connected)} times)`)
      // Past two session lifetimes the connections have logged in again, each with a fresh token,
      // and calls go on answering through it.
      const until = Date.now() + 2 * reauthMs + 1_000
      let calls = 0
      while (Date.now() < until) {
        assert.deepEqual(await client.call(quote, { body: { from: 'KRK' }, timeout: 20_000 }), { price: 80, caller: 'booking' })
        calls++
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      assert.ok(asked >= connected * 2, `asked again at each re-authentication (${String(connected)} at first, ${String(asked)} after ${String(calls)} calls over ${String(2 * reauthMs + 1_000)} ms)`)
      console.log(`# OAUTHBEARER with ${String(reauthMs)} ms sessions: token asked ${String(connected)} times to connect, ${String(asked)} after ${String(calls)} more calls`)
    } finally {
      await client.close()
      await service.close()
    }
  })

  it('fails an expired token at once with KIPC_AUTHENTICATION_FAILED about the token, after a single attempt', async () => {
    const expired = unsecuredToken('pricing', 60, Date.now() - 3_600_000)
    const service = new Service({ name: 'pricing', transport: kafkaTransport({ brokers: kafka.brokers, sasl: { mechanism: 'OAUTHBEARER', token: expired }, connectTimeoutMs: 30_000, logger: quiet }), policy, logger: quiet, ownsTransport: true })
    service.handle(quote, () => ({ price: 0, caller: '' }))
    const { error, tookMs, connects } = await refusedListen(service, Number(kafka.brokers[0]?.split(':')[1]))
    assert.ok(isKafkaIpcError(error, 'KIPC_AUTHENTICATION_FAILED'), String(error))
    assert.equal(error.retryable, false)
    assert.match(error.message, /Kafka refused the SASL login while connecting to 127\.0\.0\.1:\d+ \(from the brokers option; SASL OAUTHBEARER \(from the sasl option\)\): the broker refused the OAUTHBEARER token \(invalid_token\)\. Check the token/)
    assert.doesNotMatch(error.message + JSON.stringify(error.details), new RegExp(expired.slice(0, 30)), 'the token is never printed')
    assert.equal(connects, 1, 'one connection, not retried')
    assert.ok(tookMs < 5_000, `failed fast, well inside the 30 s connect timeout (${String(tookMs)} ms)`)
    console.log(`# expired token: KIPC_AUTHENTICATION_FAILED after ${String(tookMs)} ms`)
  })

  it('tells a client that makes no login that the listener takes tokens, naming the variable to set', async () => {
    const client = new Client({ name: 'booking', transport: kafkaTransport({ brokers: kafka.brokers, connectTimeoutMs: 30_000, logger: quiet }), policy, logger: quiet, ownsTransport: true })
    const error: unknown = await client.ready().catch((caught: unknown) => caught)
    await client.close()
    assert.ok(isKafkaIpcError(error, 'KIPC_AUTHENTICATION_FAILED'), String(error))
    assert.match(error.message, /expects a SASL login \(it offers OAUTHBEARER\) and this client makes none: the broker closes the connection at the first request\. Set KAFKA_SASL_OAUTHBEARER_TOKEN_FILE, or the sasl option/)
  })

  it('takes the principal from the token: one no ACL names is refused, naming the topic', async () => {
    const service = new Service({ name: 'pricing', transport: kafkaTransport({ ...kafka.connection('pricing'), logger: quiet }), policy, logger: quiet, ownsTransport: true })
    service.handle(quote, () => ({ price: 1, caller: '' }))
    const client = new Client({ name: 'stranger', transport: kafkaTransport({ ...kafka.connection('stranger'), logger: quiet }), policy, logger: quiet, ownsTransport: true })
    try {
      await service.listen()
      const error: unknown = await client.call(quote, { body: { from: 'WAW' }, timeout: 20_000 }).catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(error, 'KIPC_NOT_AUTHORIZED'), String(error))
      assert.match(error.message, /^Kafka denied \w+ on (topic|cluster)/)
      assert.equal(service.stats().handled, 0)
      console.log(`# token for a principal without ACLs: ${error.message}`)
    } finally {
      await client.close()
      await service.close()
    }
  })
})
