import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { checkBodySize } from '../../../../src/core/protocol/body-size.ts'

describe('checkBodySize', () => {
  it('allows the limit itself and refuses one byte more, naming both sizes', () => {
    assert.doesNotThrow(() => {
      checkBodySize(100, 100, 'reply')
    })
    assert.throws(
      () => {
        checkBodySize(101, 100, 'reply')
      },
      (error: unknown) => isKafkaIpcError(error, 'KIPC_PAYLOAD_TOO_LARGE') && error.message === 'The reply body is 101 bytes; the policy allows 100 (maxMessageBytes).' && error.details['limit'] === 100,
    )
  })
})
