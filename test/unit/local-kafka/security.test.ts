// A secured local cluster's settings: the listeners and authorizer it writes into
// server.properties, the SCRAM users it formats, and the options it refuses.
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { nodePaths, renderServerProperties } from '../../../src/local-kafka/broker-config.ts'
import type { ClusterLayout } from '../../../src/local-kafka/cluster-layout.ts'
import { brokerSecuritySettings, clientEnvironment, clientSecurity, type ClusterSecurity, readSecurity, resolveSecurity, scramFormatArguments } from '../../../src/local-kafka/security.ts'
import type { JavaRuntime } from '../../../src/local-kafka/toolchain.ts'

const layout: ClusterLayout = { clusterId: 'AAAAAAAAAAAAAAAAAAAAAA', kafkaVersion: '4.2.1', host: '127.0.0.1', nodes: [{ id: 1, brokerPort: 9093, controllerPort: 19093 }] }
const node = { id: 1, brokerPort: 9093, controllerPort: 19093 }
// Never run: only a TLS start calls keytool, and these tests make none.
const java: JavaRuntime = { executable: '/nonexistent/java', majorVersion: 17, fingerprint: 'x' }

const secured: ClusterSecurity = {
  protocol: 'SASL_SSL',
  mechanism: 'SCRAM-SHA-512',
  admin: { username: 'admin', password: 'admin-pw' },
  adminPasswordFile: '/data/security/admin.password',
  users: { pricing: 'pricing-pw' },
  acls: true,
  tls: { caFile: '/data/security/ca.pem', ca: 'PEM', keystoreFile: '/data/security/broker.p12', storePassword: 'store-pw' },
}

function parse(properties: string): Map<string, string> {
  return new Map(properties.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
}

/** The server.properties the test node gets with `security`, by name. */
function serverProperties(security: ClusterSecurity): Map<string, string> {
  return parse(renderServerProperties(layout, node, nodePaths('/data', 1), brokerSecuritySettings(security, layout, node)))
}

let dir = ''
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kafka-ipc-local-security-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('a secured local cluster', () => {
  it('serves clients on a SASL_SSL listener, logs the controller in as admin, and lets ACLs decide', () => {
    const props = serverProperties(secured)
    assert.equal(props.get('listeners'), 'SASL_SSL://127.0.0.1:9093,CONTROLLER://127.0.0.1:19093')
    assert.equal(props.get('advertised.listeners'), 'SASL_SSL://127.0.0.1:9093')
    assert.equal(props.get('inter.broker.listener.name'), 'SASL_SSL')
    assert.equal(props.get('listener.security.protocol.map'), 'SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT')
    assert.equal(props.get('sasl.enabled.mechanisms'), 'SCRAM-SHA-512')
    assert.equal(props.get('listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config'), 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-pw";')
    assert.equal(props.get('sasl.mechanism.controller.protocol'), 'PLAIN')
    assert.equal(props.get('ssl.keystore.location'), '/data/security/broker.p12')
    assert.equal(props.get('ssl.truststore.type'), 'PEM')
    assert.equal(props.get('authorizer.class.name'), 'org.apache.kafka.metadata.authorizer.StandardAuthorizer')
    assert.equal(props.get('super.users'), 'User:admin', 'no anonymous super user')
    assert.equal(props.get('allow.everyone.if.no.acl.found'), 'false')
    assert.equal(props.get('process.roles'), 'broker,controller', 'the rest of the plaintext settings stay')
  })

  it('formats storage with every SCRAM user, admin first', () => {
    assert.deepEqual(scramFormatArguments(secured), ['--add-scram', 'SCRAM-SHA-512=[name=admin,password=admin-pw]', '--add-scram', 'SCRAM-SHA-512=[name=pricing,password=pricing-pw]'])
    assert.deepEqual(scramFormatArguments(undefined), [])
  })

  it('tells clients how to log in as any of its users, and refuses unknown ones', () => {
    assert.deepEqual(clientSecurity(secured), { tls: { ca: 'PEM' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'admin-pw' } })
    const pricing = clientSecurity(secured, 'pricing').sasl
    assert.equal(pricing !== undefined && 'username' in pricing ? pricing.username : undefined, 'pricing')
    assert.throws(() => clientSecurity(secured, 'nobody'), /has no user nobody; its users are admin, pricing/)
    assert.deepEqual(clientEnvironment(secured, '127.0.0.1:9093'), {
      KAFKA_BROKERS: '127.0.0.1:9093',
      KAFKA_TLS: 'true',
      KAFKA_TLS_CA_FILE: '/data/security/ca.pem',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'admin',
      KAFKA_SASL_PASSWORD_FILE: '/data/security/admin.password',
    })
    assert.deepEqual(clientEnvironment(undefined, '127.0.0.1:9092'), { KAFKA_BROKERS: '127.0.0.1:9092' })
  })

  it('refuses options that cannot work, before making anything', async () => {
    const refuse = (options: Parameters<typeof resolveSecurity>[1], message: RegExp) => assert.rejects(resolveSecurity(join(dir, 'refused'), options, true, java, '127.0.0.1'), message)
    await refuse({ sasl: false, tls: false }, /nothing to secure/)
    await refuse({ sasl: false, acls: true }, /ACLs need SASL users/)
    await refuse({ users: { admin: 'x' } }, /the user name admin is the broker's own/)
    await refuse({ users: { 'bad name': 'x' } }, /user name "bad name" must be/)
    await refuse({ users: { pricing: 'has "quotes"' } }, /the password of pricing must be/)
    await refuse({ sasl: 'PLAIN' as 'SCRAM-SHA-512' }, /sasl must be SCRAM-SHA-512, SCRAM-SHA-256, OAUTHBEARER or false/)
    await refuse({ sasl: 'OAUTHBEARER', users: { pricing: 'x' } }, /OAUTHBEARER has no users to make/)
  })

  it('keeps what a data folder was first started with, and refuses another', async () => {
    const data = join(dir, 'kept')
    const first = await resolveSecurity(data, { tls: false, users: { pricing: 'pricing-pw' } }, true, java, '127.0.0.1')
    assert.equal(first?.protocol, 'SASL_PLAINTEXT')
    assert.match(first.admin?.password ?? '', /^[\w-]{24}$/)
    assert.equal((await stat(join(data, 'security', 'security.json'))).mode & 0o777, 0o600, 'credentials readable by this user only')
    assert.deepEqual(await readSecurity(data), first)
    assert.deepEqual(await resolveSecurity(data, undefined, false, java, '127.0.0.1'), first, 'a later start may leave security out')
    assert.deepEqual(await resolveSecurity(data, { tls: false, users: { pricing: 'pricing-pw' } }, false, java, '127.0.0.1'), first)
    await assert.rejects(resolveSecurity(data, { tls: false, users: { pricing: 'other' } }, false, java, '127.0.0.1'), /secured otherwise/)
    await assert.rejects(resolveSecurity(join(dir, 'plain'), { tls: false }, false, java, '127.0.0.1'), /first started without security/)
  })

  it('with OAUTHBEARER, validates unsigned tokens, makes no SCRAM users, and gives any principal a token', async () => {
    const data = join(dir, 'oauth')
    const oauth = await resolveSecurity(data, { sasl: 'OAUTHBEARER', tls: false, acls: true }, true, java, '127.0.0.1')
    assert.ok(oauth !== undefined)
    const props = serverProperties(oauth)
    assert.equal(props.get('listeners'), 'SASL_PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:19093')
    assert.equal(props.get('sasl.enabled.mechanisms'), 'OAUTHBEARER')
    assert.equal(props.get('sasl.mechanism.inter.broker.protocol'), 'OAUTHBEARER')
    assert.equal(props.get('listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config'), 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";')
    assert.equal(props.get('super.users'), 'User:admin')
    assert.deepEqual(scramFormatArguments(oauth), [])
    const sasl = clientSecurity(oauth, 'pricing').sasl
    assert.ok(sasl?.mechanism === 'OAUTHBEARER')
    const [header, claims, signature] = sasl.token().split('.')
    assert.deepEqual(JSON.parse(Buffer.from(header ?? '', 'base64url').toString()), { alg: 'none' })
    const { sub, iat, exp } = JSON.parse(Buffer.from(claims ?? '', 'base64url').toString()) as { sub: string; iat: number; exp: number }
    assert.equal(sub, 'pricing')
    assert.equal(exp - iat, 86_400)
    assert.equal(signature, '')
    assert.throws(() => clientSecurity(oauth, 'bad name'), /principal name "bad name" must be/)
    const env = clientEnvironment(oauth, '127.0.0.1:9093', 'pricing')
    assert.equal(env['KAFKA_SASL_MECHANISM'], 'OAUTHBEARER')
    assert.equal(env['KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'], join(data, 'security', 'pricing.token'))
    assert.equal((await stat(join(data, 'security', 'pricing.token'))).mode & 0o777, 0o600)
  })
})
