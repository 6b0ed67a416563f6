// Kafka secured as a production cluster would be — SASL/SCRAM-SHA-512 over TLS, the
// StandardAuthorizer denying what no ACL allows — on one local broker shared by every case: a
// service and a client holding the ACLs docs/security.md lists call each other; a wrong password,
// an untrusted CA and a missing ACL each fail at once with an error that says what to fix.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { event, route } from '../../../src/core/contracts.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import type { Logger } from '../../../src/core/logger.ts'
import { definePolicy, type Policy } from '../../../src/core/policy.ts'
import { Service } from '../../../src/core/service.ts'
import { createCertificateAuthority } from '../../../src/local-kafka/certificates.ts'
import { LocalKafka } from '../../../src/local-kafka/index.ts'
import { findJava } from '../../../src/local-kafka/toolchain.ts'
import { kafkaTransport, type KafkaTransportOptions } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName } from '../../support/kafka.ts'
import { instanceAcls, refusedListen, serviceAcls } from './secured-clients.ts'
import { withEnvironment } from '../../support/environment.ts'

const quote = route('pricing', 'POST /quotes', { body: z.object({ from: z.string() }), reply: z.object({ price: z.number(), caller: z.string() }) })
const booked = event('booking.created', { body: z.object({ id: z.string() }) })
const ledgerPing = route('ledger', 'GET /ping')

const passwords = { pricing: 'pricing-secret', booking: 'booking-secret', ledger: 'ledger-secret', intruder: 'intruder-secret', stranger: 'stranger-secret' }

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined }

describe('Kafka with SASL/SCRAM-SHA-512, TLS and ACLs', () => {
  let kafka: LocalKafka
  let policy: Policy
  let prefix: string
  let port: number

  before(async () => {
    kafka = await LocalKafka.start({ security: { users: passwords, acls: true } })
    port = Number(kafka.brokers[0]?.split(':')[1])
    prefix = uniqueName('sec')
    policy = definePolicy({ prefix, partitions: 1 })
    await kafka.createAcls([
      ...serviceAcls(prefix, 'pricing', ['booking.created']),
      ...instanceAcls(prefix, 'booking'),
      { principal: 'booking', resource: 'topic', name: `${prefix}.pricing.requests`, operations: ['WRITE'] },
      { principal: 'booking', resource: 'topic', name: `${prefix}.event.booking.created`, operations: ['WRITE'] },
      // ledger may serve its topic but not join its consumer group.
      ...instanceAcls(prefix, 'ledger'),
      { principal: 'ledger', resource: 'topic', name: `${prefix}.ledger.requests`, operations: ['READ', 'CREATE'] },
      // intruder may see pricing's request topic but not write to it; stranger may not even see it.
      ...instanceAcls(prefix, 'intruder'),
      { principal: 'intruder', resource: 'topic', name: `${prefix}.pricing.requests`, operations: ['DESCRIBE'] },
      ...instanceAcls(prefix, 'stranger'),
    ])
  })
  after(async () => {
    await kafka.stop()
  })

  it('starts with a SASL_SSL listener and tells a client what it needs', () => {
    assert.equal(kafka.security?.protocol, 'SASL_SSL')
    assert.equal(kafka.security.mechanism, 'SCRAM-SHA-512')
    assert.match(kafka.security.ca ?? '', /^-----BEGIN CERTIFICATE-----/)
    const connection = kafka.connection('pricing')
    assert.deepEqual(connection.sasl, { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: 'pricing-secret' })
    assert.deepEqual(kafka.environment('booking'), {
      KAFKA_BROKERS: kafka.bootstrap,
      KAFKA_TLS: 'true',
      KAFKA_TLS_CA_FILE: kafka.security.caFile,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'booking',
      KAFKA_SASL_PASSWORD: 'booking-secret',
    })
  })

  it('lets a service and a client holding the documented ACLs call each other and deliver an event', async () => {
    const service = new Service({ name: 'pricing', transport: kafkaTransport(kafka.connection('pricing')), policy, logger: quiet, ownsTransport: true })
    const events: string[] = []
    service.handle(quote, (request, context) => ({ price: request.body.from === 'WAW' ? 120 : 80, caller: context.caller ?? '' }))
    service.on(booked, (received) => {
      events.push(received.body.id)
    })
    // The client is configured as an operator would: by environment variables only.
    const client = new Client({ name: 'booking', transport: withEnvironment(kafka.environment('booking'), () => kafkaTransport()), policy, logger: quiet, ownsTransport: true })
    try {
      await service.listen()
      assert.deepEqual(await client.call(quote, { body: { from: 'WAW' }, timeout: 20_000 }), { price: 120, caller: 'booking' })
      await client.emit(booked, { id: 'B1' })
      const deadline = Date.now() + 20_000
      while (events.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      assert.deepEqual(events, ['B1'])
    } finally {
      await client.close()
      await service.close()
    }
  })

  it('fails a wrong password at once with KIPC_AUTHENTICATION_FAILED, after a single attempt', async () => {
    const wrong: KafkaTransportOptions = { ...kafka.connection('pricing'), sasl: { mechanism: 'SCRAM-SHA-512', username: 'pricing', password: 'not-the-password' }, connectTimeoutMs: 30_000, logger: quiet }
    const service = new Service({ name: 'pricing', transport: kafkaTransport(wrong), policy, logger: quiet, ownsTransport: true })
    service.handle(quote, () => ({ price: 0, caller: '' }))
    const { error, tookMs, connects } = await refusedListen(service, port)
    assert.ok(isKafkaIpcError(error, 'KIPC_AUTHENTICATION_FAILED'), String(error))
    assert.equal(error.retryable, false)
    assert.equal(error.status, 401)
    assert.match(error.message, /Kafka refused the SASL login while connecting to 127\.0\.0\.1:\d+ \(from the brokers option; TLS, SASL SCRAM-SHA-512 as pricing \(from the sasl option\)\): Authentication failed .*invalid credentials/)
    assert.doesNotMatch(error.message + String(error.stack) + JSON.stringify(error.details), /not-the-password/)
    assert.equal(connects, 1, 'one connection, not retried')
    assert.ok(tookMs < 5_000, `failed fast, well inside the 30 s connect timeout (${tookMs} ms)`)
    console.log(`# wrong password: KIPC_AUTHENTICATION_FAILED after ${tookMs} ms, ${connects} connection`)
  })

  it('tells a client that logs in without TLS to turn TLS on, at once, instead of blaming its password', async () => {
    const { brokers, sasl } = kafka.connection('booking')
    const withoutTls: KafkaTransportOptions = sasl === undefined ? { brokers } : { brokers, sasl }
    const client = new Client({ name: 'booking', transport: kafkaTransport({ ...withoutTls, connectTimeoutMs: 30_000, logger: quiet }), policy, logger: quiet, ownsTransport: true })
    const started = performance.now()
    const error: unknown = await client.ready().catch((caught: unknown) => caught)
    const tookMs = Math.round(performance.now() - started)
    await client.close()
    assert.ok(isKafkaIpcError(error, 'KIPC_AUTHENTICATION_FAILED'), String(error))
    assert.match(error.message, /closed the connection during the SASL handshake without answering, as a TLS listener does to a client that does not speak TLS\. Set KAFKA_TLS=true/)
    assert.doesNotMatch(error.message, /password is wrong/)
    assert.ok(tookMs < 5_000, `failed fast (${tookMs} ms)`)
  })

  it('tells a client that speaks TLS but does not log in that the listener expects a SASL login, at once, naming its mechanisms', async () => {
    const { brokers, tls } = kafka.connection('booking')
    const withoutSasl: KafkaTransportOptions = tls === undefined ? { brokers } : { brokers, tls }
    const client = new Client({ name: 'booking', transport: kafkaTransport({ ...withoutSasl, connectTimeoutMs: 30_000, logger: quiet }), policy, logger: quiet, ownsTransport: true })
    const started = performance.now()
    const error: unknown = await client.ready().catch((caught: unknown) => caught)
    const tookMs = Math.round(performance.now() - started)
    await client.close()
    assert.ok(isKafkaIpcError(error, 'KIPC_AUTHENTICATION_FAILED'), String(error))
    assert.equal(error.retryable, false)
    assert.match(error.message, /expects a SASL login \(it offers SCRAM-SHA-512\) and this client makes none: the broker closes the connection at the first request\. Set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/)
    assert.ok(tookMs < 5_000, `failed fast, well inside the 30 s connect timeout (${tookMs} ms)`)
    console.log(`# TLS without a SASL login: KIPC_AUTHENTICATION_FAILED after ${tookMs} ms`)
  })

  it('fails a broker certificate from a CA it does not trust with KIPC_TLS_FAILED, at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kafka-ipc-other-ca-'))
    try {
      const otherCa = await createCertificateAuthority(dir, await findJava(), 'some other CA')
      const transport = kafkaTransport({ ...kafka.connection('booking'), tls: { ca: await readFile(otherCa.certFile, 'utf8') }, connectTimeoutMs: 30_000, logger: quiet })
      const client = new Client({ name: 'booking', transport, policy, logger: quiet, ownsTransport: true })
      const started = performance.now()
      const error: unknown = await client.call(quote, { body: { from: 'WAW' }, timeout: 20_000 }).catch((caught: unknown) => caught)
      const tookMs = Math.round(performance.now() - started)
      await client.close()
      assert.ok(isKafkaIpcError(error, 'KIPC_TLS_FAILED'), String(error))
      assert.equal(error.retryable, false)
      assert.match(error.message, /self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\); the broker certificate is not signed by a CA this process trusts: set KAFKA_TLS_CA_FILE/)
      assert.ok(tookMs < 5_000, `failed fast (${tookMs} ms)`)
      console.log(`# untrusted CA: KIPC_TLS_FAILED after ${tookMs} ms`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('names the topic and WRITE when a client may see a request topic but not write to it', async () => {
    const { service, stop } = await pricingService()
    const client = new Client({ name: 'intruder', transport: kafkaTransport({ ...kafka.connection('intruder'), logger: quiet }), policy, logger: quiet, ownsTransport: true })
    try {
      const started = performance.now()
      const error: unknown = await client.call(quote, { body: { from: 'WAW' }, timeout: 20_000 }).catch((caught: unknown) => caught)
      const tookMs = Math.round(performance.now() - started)
      assert.ok(isKafkaIpcError(error, 'KIPC_NOT_AUTHORIZED'), String(error))
      assert.equal(error.status, 403)
      assert.equal(error.retryable, false)
      assert.match(error.message, new RegExp(`^Kafka denied WRITE on topic ${prefix}\\.pricing\\.requests to User:intruder while sending to ${prefix}\\.pricing\\.requests \\(Produce request, TOPIC_AUTHORIZATION_FAILED\\)`))
      assert.deepEqual(error.details, { resourceType: 'topic', resources: [`${prefix}.pricing.requests`], operation: 'WRITE', kafkaError: 'TOPIC_AUTHORIZATION_FAILED', api: 'Produce', principal: 'User:intruder' })
      assert.equal(service.stats().handled, 0)
      assert.ok(tookMs < 5_000, `not retried until the call's deadline (${tookMs} ms)`)
      console.log(`# no WRITE: ${error.message} (${tookMs} ms)`)
    } finally {
      await client.close()
      await stop()
    }
  })

  it('names the topic and DESCRIBE when a client may not even see it, instead of calling the service unknown', async () => {
    const { stop } = await pricingService()
    const client = new Client({ name: 'stranger', transport: kafkaTransport({ ...kafka.connection('stranger'), logger: quiet }), policy, logger: quiet, ownsTransport: true })
    try {
      const error: unknown = await client.call(quote, { body: { from: 'WAW' }, timeout: 20_000 }).catch((caught: unknown) => caught)
      assert.ok(isKafkaIpcError(error, 'KIPC_NOT_AUTHORIZED'), String(error))
      assert.match(error.message, new RegExp(`^Kafka denied DESCRIBE on topic ${prefix}\\.pricing\\.requests \\(READ or WRITE on the topic grants it\\)`))
      console.log(`# no DESCRIBE: ${error.message}`)
    } finally {
      await client.close()
      await stop()
    }
  })

  it('names the group when a service may not join its consumer group', async () => {
    const service = new Service({ name: 'ledger', transport: kafkaTransport({ ...kafka.connection('ledger'), logger: quiet }), policy, logger: quiet, ownsTransport: true })
    service.handle(ledgerPing, () => ({ ok: true }))
    const error: unknown = await service.listen().catch((caught: unknown) => caught)
    await service.close()
    assert.ok(isKafkaIpcError(error, 'KIPC_NOT_AUTHORIZED'), String(error))
    assert.match(error.message, new RegExp(`^Kafka denied DESCRIBE on group ${prefix}\\.ledger \\(READ on the group grants it\\) to User:ledger while joining group ${prefix}\\.ledger`))
    assert.equal(error.details['resourceType'], 'group')
    console.log(`# no group READ: ${error.message}`)
  })

  /** pricing, listening with its documented ACLs. */
  async function pricingService(): Promise<{ service: Service; stop: () => Promise<void> }> {
    const service = new Service({ name: 'pricing', transport: kafkaTransport({ ...kafka.connection('pricing'), logger: quiet }), policy, logger: quiet, ownsTransport: true })
    service.handle(quote, () => ({ price: 1, caller: '' }))
    await service.listen()
    return { service, stop: () => service.close() }
  }
})
