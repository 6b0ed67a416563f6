import assert from 'node:assert/strict'
import { MultipleErrors, NetworkError, ProtocolError, UserError } from '@platformatic/kafka'
import { describe, it } from 'node:test'
import { KafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { asTransportError, isRetryableKafkaError } from '../../../../src/transports/kafka/kafka-errors.ts'

describe('Kafka transport errors', () => {
  it('turns the plain object of a heartbeat event into a KafkaIpcError with the inner reason', () => {
    const payload = { groupId: 'g', memberId: 'm', generationId: 3, error: new NetworkError('Connection to 127.0.0.1:9092 failed.') }
    const error = asTransportError(payload, 'heartbeating for group g')
    assert.ok(error instanceof KafkaIpcError)
    assert.equal(error.code, 'KIPC_TRANSPORT_ERROR')
    assert.equal(error.status, 503)
    assert.equal(error.retryable, true)
    assert.match(error.message, /heartbeating for group g: Connection to 127\.0\.0\.1:9092 failed\./)
    assert.equal(error.cause, payload)
  })

  it('names the innermost reasons of nested aggregates', () => {
    const nested = new MultipleErrors('fetch failed 21 times.', [new NetworkError('Connection closed'), new MultipleErrors('inner', [new NetworkError('connect ECONNREFUSED 127.0.0.1:1')])])
    const error = asTransportError(nested, 'fetching')
    assert.match(error.message, /^Kafka: fetching: fetch failed 21 times\. \(Connection closed; connect ECONNREFUSED 127\.0\.0\.1:1\)$/)
  })

  it('wraps strings and keeps KafkaIpcErrors as they are', () => {
    assert.match(asTransportError('boom', 'x').message, /boom/)
    const own = new KafkaIpcError('KIPC_TOPIC_MISSING', 'gone')
    assert.equal(asTransportError(own, 'x'), own)
  })

  it('retries elections and lost connections, not oversized records or a deleted topic', () => {
    assert.equal(isRetryableKafkaError(new MultipleErrors('produce failed', [new ProtocolError('NOT_LEADER_OR_FOLLOWER')])), true)
    assert.equal(isRetryableKafkaError(new ProtocolError('NOT_ENOUGH_REPLICAS')), true)
    assert.equal(isRetryableKafkaError(new NetworkError('Connection closed')), true)
    assert.equal(isRetryableKafkaError(new MultipleErrors('produce failed', [new ProtocolError('MESSAGE_TOO_LARGE')])), false)
    assert.equal(isRetryableKafkaError(new ProtocolError('UNKNOWN_TOPIC_OR_PARTITION')), false)
    // What the client reports for a send to an inbox deleted by a caller that shut down.
    assert.equal(isRetryableKafkaError(new MultipleErrors('Producing messages failed.', [new UserError('Unknown topic kipc.inbox.web.1.')])), false)
    assert.equal(isRetryableKafkaError(new KafkaIpcError('KIPC_INVALID_ARGUMENT', 'no')), false)
  })
})
