import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { brokerAddresses } from '../../../../src/transports/kafka/broker-addresses.ts'
import { connectTimeout } from '../../../../src/transports/kafka/broker-reachability.ts'

describe('broker addresses', () => {
  it('takes the option, else KAFKA_BROKERS, else 127.0.0.1:9092, and says which', () => {
    assert.deepEqual(brokerAddresses(['a:1', ' b:2 '], { KAFKA_BROKERS: 'c:3' }), { brokers: ['a:1', 'b:2'], source: 'the brokers option' })
    assert.deepEqual(brokerAddresses(undefined, { KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092' }), { brokers: ['kafka-1:9092', 'kafka-2:9092'], source: 'KAFKA_BROKERS' })
    assert.deepEqual(brokerAddresses(undefined, {}).brokers, ['127.0.0.1:9092'])
    assert.match(brokerAddresses(undefined, { KAFKA_BROKERS: ' ' }).source, /KAFKA_BROKERS is not set/)
    assert.deepEqual(brokerAddresses('[::1]:9092', {}).brokers, ['[::1]:9092'])
  })

  it('refuses at once what is not host:port, naming the setting and the value', () => {
    for (const [value, fromEnv] of [
      ['http://localhost:9092', true],
      ['localhost', true],
      ['kafka:90920', false],
      ['kafka:0', false],
      [':9092', false],
      ['kafka:9092/', true],
    ] as const) {
      const attempt = (): unknown => (fromEnv ? brokerAddresses(undefined, { KAFKA_BROKERS: value }) : brokerAddresses(value, {}))
      assert.throws(attempt, (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && error.message.includes(JSON.stringify(value)) && error.message.includes(fromEnv ? 'KAFKA_BROKERS' : 'the brokers option'), value)
    }
    assert.throws(() => brokerAddresses(',', {}), /names no broker/)
  })

  it('reads the connect timeout from the option or KIPC_CONNECT_TIMEOUT_MS', () => {
    assert.equal(connectTimeout(undefined, {}), 30_000)
    assert.equal(connectTimeout(undefined, { KIPC_CONNECT_TIMEOUT_MS: '5000' }), 5_000)
    assert.equal(connectTimeout(100, { KIPC_CONNECT_TIMEOUT_MS: '5000' }), 100)
    assert.throws(() => connectTimeout(undefined, { KIPC_CONNECT_TIMEOUT_MS: 'soon' }), /KIPC_CONNECT_TIMEOUT_MS must be a whole number/)
  })
})
