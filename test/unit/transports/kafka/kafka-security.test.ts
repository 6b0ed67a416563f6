// SASL and TLS settings from the transport options and the environment: options win, a malformed
// setting fails at once naming the variable, and no message ever carries a secret.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { kafkaSecurity } from '../../../../src/transports/kafka/kafka-security.ts'
import type { KafkaSecurityOptions } from '../../../../src/transports/kafka/kafka-security-options.ts'
import type { Environment } from '../../../../src/core/environment.ts'

const secret = 'S3cret-Pa55'

let dir = ''
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kafka-ipc-security-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The KIPC_INVALID_ARGUMENT message of a rejected setting, checked to hold no secret. */
function rejection(options: KafkaSecurityOptions, env: Environment): string {
  try {
    kafkaSecurity(options, env)
  } catch (error) {
    assert.ok(isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'), String(error))
    assert.doesNotMatch(error.message, new RegExp(secret), 'no secret in the message')
    return error.message
  }
  assert.fail('the setting was accepted')
}

async function password(security: ReturnType<typeof kafkaSecurity>): Promise<string> {
  const given = security.sasl?.password
  return typeof given === 'function' ? await given() : (given ?? '')
}

describe('kafka security from the environment', () => {
  it('is plaintext when nothing is set', () => {
    const security = kafkaSecurity({}, {})
    assert.deepEqual(security, { description: 'plaintext' })
  })

  it('logs in with SCRAM-SHA-512 by default, or the mechanism named in any case', async () => {
    const security = kafkaSecurity({}, { KAFKA_SASL_USERNAME: ' pricing ', KAFKA_SASL_PASSWORD: secret })
    assert.equal(security.sasl?.mechanism, 'SCRAM-SHA-512')
    assert.equal(security.sasl.username, 'pricing')
    assert.equal(await password(security), secret)
    assert.equal(security.description, 'SASL SCRAM-SHA-512 as pricing (from KAFKA_SASL_*)')
    assert.doesNotMatch(JSON.stringify(security.description), new RegExp(secret))
    assert.equal(kafkaSecurity({}, { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: secret }).sasl?.mechanism, 'SCRAM-SHA-256')
    assert.equal(kafkaSecurity({}, { KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: secret }).sasl?.mechanism, 'PLAIN')
  })

  it('reads a mounted password file, without its trailing newline, and again at each connection', async () => {
    const file = join(dir, 'password')
    await writeFile(file, `${secret}\n`)
    const security = kafkaSecurity({}, { KAFKA_SASL_USERNAME: 'pricing', KAFKA_SASL_PASSWORD_FILE: file })
    assert.equal(typeof security.sasl?.password, 'function')
    assert.equal(await password(security), secret)
    await writeFile(file, 'rotated\r\n')
    assert.equal(await password(security), 'rotated', 'a rotated secret is picked up')
  })

  it('turns TLS on with KAFKA_TLS or any KAFKA_TLS_* file, reading the files', async () => {
    const ca = join(dir, 'ca.pem')
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    assert.deepEqual(kafkaSecurity({}, { KAFKA_TLS: 'true' }).tls, {})
    assert.deepEqual(kafkaSecurity({}, { KAFKA_TLS: 'YES' }).tls, {})
    assert.equal(kafkaSecurity({}, { KAFKA_TLS: 'false' }).tls, undefined)
    const security = kafkaSecurity({}, { KAFKA_TLS_CA_FILE: ca, KAFKA_TLS_SERVERNAME: 'kafka.internal' })
    assert.deepEqual(security.tls, { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', servername: 'kafka.internal' })
    assert.equal(security.description, 'TLS')
    const both = kafkaSecurity({}, { KAFKA_TLS: '1', KAFKA_SASL_USERNAME: 'pricing', KAFKA_SASL_PASSWORD: secret })
    assert.equal(both.description, 'TLS, SASL SCRAM-SHA-512 as pricing (from KAFKA_SASL_*)')
  })

  it('rejects incomplete or contradictory settings, naming the variable and never the secret', async () => {
    const key = join(dir, 'client.key')
    await writeFile(key, `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`)
    const empty = join(dir, 'empty')
    await writeFile(empty, '\n')
    assert.match(rejection({}, { KAFKA_SASL_PASSWORD: secret }), /KAFKA_SASL_USERNAME is not set/)
    assert.match(rejection({}, { KAFKA_SASL_USERNAME: 'pricing' }), /neither KAFKA_SASL_PASSWORD nor KAFKA_SASL_PASSWORD_FILE/)
    assert.match(rejection({}, { KAFKA_SASL_USERNAME: 'pricing', KAFKA_SASL_PASSWORD: secret, KAFKA_SASL_PASSWORD_FILE: empty }), /Both KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE/)
    assert.match(rejection({}, { KAFKA_SASL_MECHANISM: 'GSSAPI', KAFKA_SASL_USERNAME: 'pricing', KAFKA_SASL_PASSWORD: secret }), /KAFKA_SASL_MECHANISM must be one of SCRAM-SHA-512, SCRAM-SHA-256, PLAIN, OAUTHBEARER, got "GSSAPI"/)
    assert.match(rejection({}, { KAFKA_SASL_USERNAME: 'pricing', KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') }), /KAFKA_SASL_PASSWORD_FILE names .*missing, which cannot be read \(ENOENT\)/)
    assert.match(rejection({}, { KAFKA_SASL_USERNAME: 'pricing', KAFKA_SASL_PASSWORD_FILE: empty }), /which is empty/)
    assert.match(rejection({}, { KAFKA_TLS: 'maybe' }), /KAFKA_TLS must be true or false, got "maybe"/)
    assert.match(rejection({}, { KAFKA_TLS: 'false', KAFKA_TLS_CA_FILE: key }), /KAFKA_TLS is "false" but KAFKA_TLS_CA_FILE is set/)
    assert.match(rejection({}, { KAFKA_TLS_KEY_FILE: key }), /KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together/)
    assert.match(rejection({}, { KAFKA_TLS_CA_FILE: join(dir, 'nope.pem') }), /KAFKA_TLS_CA_FILE names .*nope\.pem, which cannot be read/)
  })
})

describe('kafka security options', () => {
  it('replace the environment group by group', () => {
    const env = { KAFKA_SASL_USERNAME: 'from-env', KAFKA_SASL_PASSWORD: secret, KAFKA_TLS: 'true' }
    const security = kafkaSecurity({ sasl: { mechanism: 'SCRAM-SHA-256', username: 'from-option', password: 'other' } }, env)
    assert.equal(security.sasl?.username, 'from-option')
    assert.deepEqual(security.tls, {}, 'TLS still comes from KAFKA_TLS')
    assert.deepEqual(kafkaSecurity({ sasl: false, tls: false }, env), { description: 'plaintext' })
    // An option also shields a broken variable of its group.
    assert.equal(kafkaSecurity({ tls: false }, { KAFKA_TLS: 'maybe' }).tls, undefined)
  })

  it('maps TLS options onto Node TLS options, keys and certificates as given', () => {
    const bytes = new TextEncoder().encode('ca-bytes')
    const security = kafkaSecurity({ tls: { ca: ['ca-one', bytes], cert: 'cert', key: 'key', passphrase: 'pass', servername: 'kafka', rejectUnauthorized: false } }, {})
    assert.deepEqual(security.tls, { ca: ['ca-one', Buffer.from('ca-bytes')], cert: 'cert', key: 'key', passphrase: 'pass', servername: 'kafka', rejectUnauthorized: false })
  })

  it('rejects a malformed option without echoing the password', () => {
    assert.match(rejection({ sasl: { mechanism: 'SCRAM-SHA-1' as 'PLAIN', username: 'u', password: secret } }, {}), /the sasl option's mechanism must be one of/)
    assert.match(rejection({ sasl: { mechanism: 'PLAIN', username: '', password: secret } }, {}), /the sasl option needs a username/)
    assert.match(rejection({ sasl: { mechanism: 'PLAIN', username: 'u', password: '' } }, {}), /needs a non-empty password/)
    assert.match(rejection({ tls: { key: secret } }, {}), /needs cert and key together/)
  })
})

describe('an OAUTHBEARER login', () => {
  const token = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJwcmljaW5nIn0.'

  /** The token the client library would send, asked as it asks: at each new connection. */
  async function sentToken(security: ReturnType<typeof kafkaSecurity>): Promise<unknown> {
    const given = security.sasl?.token
    return typeof given === 'function' ? await given() : given
  }

  /** What the answer check makes of the broker's final SASL message. */
  function answer(security: ReturnType<typeof kafkaSecurity>, bytes: string): Error | null {
    let found: Error | null | undefined
    security.sasl?.authBytesValidator?.(Buffer.from(bytes), (error) => {
      found = error
    })
    assert.notEqual(found, undefined, 'the check answered')
    return found ?? null
  }

  it('takes a token, or a function asked for a fresh one at each connection, with extensions', async () => {
    const fixed = kafkaSecurity({ sasl: { mechanism: 'OAUTHBEARER', token } }, {})
    assert.equal(fixed.sasl?.mechanism, 'OAUTHBEARER')
    assert.equal(await sentToken(fixed), token)
    assert.equal(fixed.username, undefined, 'the principal is in the token')
    assert.equal(fixed.description, 'SASL OAUTHBEARER (from the sasl option)')
    let asked = 0
    const fresh = kafkaSecurity({ sasl: { mechanism: 'OAUTHBEARER', token: () => `token-${String(++asked)}`, extensions: { logicalCluster: 'lkc-1' } } }, {})
    assert.equal(await sentToken(fresh), 'token-1')
    assert.equal(await sentToken(fresh), 'token-2')
    assert.deepEqual(fresh.sasl?.oauthBearerExtensions, { logicalCluster: 'lkc-1' })
  })

  it('reads the token file at start-up and again at each connection', async () => {
    const file = join(dir, 'token')
    await writeFile(file, `${token}\n`)
    const security = kafkaSecurity({}, { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: file })
    assert.equal(security.sasl?.mechanism, 'OAUTHBEARER')
    assert.equal(security.description, 'SASL OAUTHBEARER (from KAFKA_SASL_*)')
    assert.equal(await sentToken(security), token)
    await writeFile(file, 'renewed\n')
    assert.equal(await sentToken(security), 'renewed', 'a renewed token is picked up')
    assert.equal(kafkaSecurity({}, { KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: file }).sasl?.mechanism, 'OAUTHBEARER')
    await writeFile(join(dir, 'empty-token'), '\n')
    assert.match(rejection({}, { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: join(dir, 'empty-token') }), /KAFKA_SASL_OAUTHBEARER_TOKEN_FILE names .*empty-token, which is empty/)
    assert.match(rejection({}, { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: join(dir, 'missing') }), /cannot be read \(ENOENT\)/)
  })

  it('rejects contradictory or malformed settings, naming them', () => {
    assert.match(rejection({}, { KAFKA_SASL_MECHANISM: 'OAUTHBEARER' }), /KAFKA_SASL_OAUTHBEARER_TOKEN_FILE is not set/)
    assert.match(rejection({}, { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: '/t' }), /KAFKA_SASL_MECHANISM must be OAUTHBEARER \(or unset\)/)
    assert.match(rejection({}, { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: '/t', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: secret }), /unset KAFKA_SASL_USERNAME/)
    assert.match(rejection({ sasl: { mechanism: 'OAUTHBEARER', token: '' } }, {}), /needs a token for OAUTHBEARER/)
    assert.match(rejection({ sasl: { mechanism: 'OAUTHBEARER', token, extensions: { auth: 'x' } } }, {}), /extension "auth" must have a name of letters/)
    assert.match(rejection({ sasl: { mechanism: 'OAUTHBEARER', username: 'u', password: secret } as unknown as { mechanism: 'OAUTHBEARER'; token: string } }, {}), /needs a token for OAUTHBEARER/)
  })

  it('tells a refused token from a taken one by the broker\'s answer', async () => {
    const security = kafkaSecurity({ sasl: { mechanism: 'OAUTHBEARER', token: () => '' } }, {})
    await assert.rejects(async () => sentToken(security), /token function returned an empty string/)
    assert.equal(answer(security, ''), null)
    const refused = answer(security, '{"status":"invalid_token","scope":"kafka"}')
    assert.match(refused?.message ?? '', /refused the OAUTHBEARER token \(invalid_token\)/)
    assert.equal((refused as { tokenStatus?: unknown } | null)?.tokenStatus, 'invalid_token')
    assert.match(answer(security, 'not json')?.message ?? '', /\(refused\)/)
  })
})
