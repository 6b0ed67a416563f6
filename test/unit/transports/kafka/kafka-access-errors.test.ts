// Refusals from the broker, built as @platformatic/kafka reports them (shapes taken from a real
// broker with SASL, TLS and ACLs): each becomes the error that names what to fix, never retried.
import assert from 'node:assert/strict'
import { AuthenticationError, MultipleErrors, NetworkError, ResponseError, UserError } from '@platformatic/kafka'
import { describe, it } from 'node:test'
import { asTransportError, isRetryableKafkaError } from '../../../../src/transports/kafka/kafka-errors.ts'

const api = { Produce: 0, Metadata: 3, FindCoordinator: 10, CreateTopics: 19, SaslHandshake: 17, SaslAuthenticate: 36, InitProducerId: 22 } as const

/** A connection failure wrapping `cause`, as the client raises it when no broker accepts it. */
function connectFailure(cause: Error): MultipleErrors {
  return new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection to 127.0.0.1:9093 failed.', { cause })])
}

describe('refusals from the broker', () => {
  it('reads a failed SCRAM login as KIPC_AUTHENTICATION_FAILED with the broker reason', () => {
    const refused = new ResponseError(api.SaslAuthenticate, 2, { '': [58, null] }, { errorCode: 58, errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512' })
    const error = asTransportError(connectFailure(new AuthenticationError('SASL authentication failed.', { cause: refused })), 'connecting to 127.0.0.1:9093')
    assert.equal(error.code, 'KIPC_AUTHENTICATION_FAILED')
    assert.equal(error.status, 401)
    assert.equal(error.retryable, false)
    assert.match(error.message, /^Kafka refused the SASL login while connecting to 127\.0\.0\.1:9093: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512\. Check the user/)
  })

  it('names the mechanisms the broker offers when it refuses the one asked for', () => {
    const refused = new ResponseError(api.SaslHandshake, 1, { '': [33, null] }, { errorCode: 33, mechanisms: ['SCRAM-SHA-512'] })
    const error = asTransportError(connectFailure(new AuthenticationError('Cannot find a suitable SASL mechanism.', { cause: refused })), 'connecting')
    assert.equal(error.code, 'KIPC_AUTHENTICATION_FAILED')
    assert.match(error.message, /the broker offers SCRAM-SHA-512 only/)
  })

  it('tells a listener that takes no SASL login from a wrong password: it answers the handshake ILLEGAL_SASL_STATE and offers no mechanism', () => {
    const refused = new MultipleErrors('Received response with error while executing API SaslHandshake(v1)', [new ResponseError(api.SaslHandshake, 1, { '': [34, null] }, { errorCode: 34, mechanisms: [] })])
    Object.assign(refused.errors[0] ?? {}, { apiId: 'ILLEGAL_SASL_STATE' })
    const error = asTransportError(connectFailure(new AuthenticationError('Cannot find a suitable SASL mechanism.', { cause: refused })), 'connecting')
    assert.equal(error.code, 'KIPC_AUTHENTICATION_FAILED')
    assert.match(error.message, /: this broker listener takes no SASL login\. Unset KAFKA_SASL_USERNAME \(or the sasl option\), or dial the broker's SASL listener; this is not retried\.$/)
    assert.doesNotMatch(error.message, /offers\s+only|password is wrong/)
  })

  it('reads a connection closed during the SASL handshake, with no answer, as a TLS listener dialled in the clear', () => {
    const error = asTransportError(connectFailure(new AuthenticationError('Cannot find a suitable SASL mechanism.', { cause: new NetworkError('Connection closed') })), 'connecting')
    assert.equal(error.code, 'KIPC_AUTHENTICATION_FAILED')
    assert.match(error.message, /closed the connection during the SASL handshake without answering, as a TLS listener does to a client that does not speak TLS\. Set KAFKA_TLS=true/)
  })

  it('reads a token the broker refused as KIPC_AUTHENTICATION_FAILED about the token, not a password', () => {
    const refused = Object.assign(new Error('the broker refused the OAUTHBEARER token (invalid_token)'), { tokenStatus: 'invalid_token' })
    const error = asTransportError(connectFailure(new AuthenticationError('SASL authentication failed.', { cause: refused })), 'connecting')
    assert.equal(error.code, 'KIPC_AUTHENTICATION_FAILED')
    assert.equal(error.retryable, false)
    assert.match(error.message, /: the broker refused the OAUTHBEARER token \(invalid_token\)\. Check the token \(KAFKA_SASL_OAUTHBEARER_TOKEN_FILE or the sasl option's token\): it may have expired/)
    assert.doesNotMatch(error.message, /password/)
  })

  it('reads certificate and protocol mismatches as KIPC_TLS_FAILED, each with its fix, though wrapped in a retryable network error', () => {
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })
    const wrongName = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' })
    const cases = [
      [connectFailure(untrusted), /\(SELF_SIGNED_CERT_IN_CHAIN\); the broker certificate is not signed by a CA this process trusts: set KAFKA_TLS_CA_FILE/],
      [connectFailure(wrongName), /\(ERR_TLS_CERT_ALTNAME_INVALID\); the broker certificate does not name the address dialled/],
      [new UserError('Broker requires TLS.'), /speaks TLS and this client does not.*set KAFKA_TLS=true/],
      [connectFailure(new UserError('TLS handshake failed. Please verify the broker supports TLS.')), /does not speak TLS.*unset KAFKA_TLS/],
    ] as const
    for (const [cause, message] of cases) {
      assert.equal(isRetryableKafkaError(cause), false)
      const error = asTransportError(cause, 'connecting')
      assert.equal(error.code, 'KIPC_TLS_FAILED', String(error))
      assert.equal(error.retryable, false)
      assert.match(error.message, message)
    }
  })

  it('names the topic and WRITE for a refused produce', () => {
    const response = { responses: [{ name: 'kipc.pricing.requests', partitionResponses: [{ index: 0, errorCode: 29 }] }, { name: 'kipc.other', partitionResponses: [{ index: 0, errorCode: 0 }] }] }
    const refused = new MultipleErrors('Producing messages failed.', [new ResponseError(api.Produce, 11, { '/responses/0/partitionResponses/0': [29, null] }, response)])
    const error = asTransportError(refused, 'sending to kipc.pricing.requests', { principal: 'User:booking' })
    assert.equal(error.code, 'KIPC_NOT_AUTHORIZED')
    assert.equal(error.status, 403)
    assert.equal(error.retryable, false)
    assert.equal(error.message, 'Kafka denied WRITE on topic kipc.pricing.requests to User:booking while sending to kipc.pricing.requests (Produce request, TOPIC_AUTHORIZATION_FAILED); grant it with an ACL (docs/security.md#acls).')
    assert.deepEqual(error.details, { resourceType: 'topic', resources: ['kipc.pricing.requests'], operation: 'WRITE', kafkaError: 'TOPIC_AUTHORIZATION_FAILED', api: 'Produce', principal: 'User:booking' })
  })

  it('names DESCRIBE for metadata, CREATE for topic creation and IDEMPOTENT_WRITE for the producer id', () => {
    const metadata = new ResponseError(api.Metadata, 12, { '/topics/0': [29, null] }, { topics: [{ errorCode: 29, name: 'kipc.pricing.requests', partitions: [] }] })
    assert.match(asTransportError(metadata, 'looking up').message, /^Kafka denied DESCRIBE on topic kipc\.pricing\.requests \(READ or WRITE on the topic grants it\) to this client's principal/)
    const create = new MultipleErrors('Creating topics failed.', [new ResponseError(api.CreateTopics, 7, { '/topics/0': [29, 'Authorization failed.'] }, { topics: [{ name: 'kipc.inbox.a.b', errorCode: 29 }] })])
    assert.match(asTransportError(create, 'creating topic kipc.inbox.a.b').message, /^Kafka denied CREATE on topic kipc\.inbox\.a\.b /)
    const producerId = new ResponseError(api.InitProducerId, 5, { '': [31, null] }, { errorCode: 31, producerId: -1n })
    assert.match(asTransportError(producerId, 'sending to t').message, /^Kafka denied IDEMPOTENT_WRITE on cluster kafka-cluster \(WRITE on any topic grants it\)/)
  })

  it('names the group from the call site, since the refusal does not', () => {
    const inner = new ResponseError(api.FindCoordinator, 6, { '/coordinators/0': [30, null] }, { coordinators: [{ key: 'kipc.pricing', errorCode: 30 }] })
    const refused = new MultipleErrors(`${inner.message} Group authorization failed.`, inner.errors as Error[])
    const error = asTransportError(refused, 'joining group kipc.pricing', { group: 'kipc.pricing' })
    assert.equal(error.code, 'KIPC_NOT_AUTHORIZED')
    assert.match(error.message, /^Kafka denied DESCRIBE on group kipc\.pricing \(READ on the group grants it\)/)
  })
})
