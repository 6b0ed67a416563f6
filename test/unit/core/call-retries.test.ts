import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { withRetries } from '../../../src/core/call-retries.ts'
import { isKafkaIpcError, KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'

const quick = { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 }

describe('withRetries', () => {
  it('sends again after a retryable failure, under one id and one deadline for the responder', async () => {
    const sent: { id: string; timeout: number; deadline: number }[] = []
    const result = await withRetries('GET', quick, undefined, 3_000, undefined, (id, timeout, deadline) => {
      sent.push({ id, timeout, deadline })
      if (sent.length < 3) return Promise.reject(new KafkaIpcError('KIPC_TIMEOUT', 'no answer'))
      return Promise.resolve('ok')
    })
    assert.equal(result, 'ok')
    assert.equal(sent.length, 3)
    assert.equal(new Set(sent.map((attempt) => attempt.id)).size, 1, 'every attempt has the same id')
    assert.equal(new Set(sent.map((attempt) => attempt.deadline)).size, 1, 'every attempt gives the call deadline')
    assert.ok(sent.every((attempt) => attempt.timeout <= 1_000), 'each attempt waits its share of the timeout')
  })

  it('keeps an id the caller chose', async () => {
    const ids: string[] = []
    await withRetries('POST', quick, 'order-1234567890abcdef', 1_000, undefined, (id) => {
      ids.push(id)
      return Promise.resolve(undefined)
    })
    assert.deepEqual(ids, ['order-1234567890abcdef'])
  })

  it('does not retry a failure that is not retryable, and gives up after its attempts', async () => {
    let calls = 0
    await assert.rejects(
      withRetries('GET', quick, undefined, 1_000, undefined, () => {
        calls++
        return Promise.reject(new KafkaIpcError('KIPC_NOT_FOUND', 'no route'))
      }),
      (error: unknown) => isKafkaIpcError(error, 'KIPC_NOT_FOUND'),
    )
    assert.equal(calls, 1)
    calls = 0
    await assert.rejects(
      withRetries('GET', quick, undefined, 1_000, undefined, () => {
        calls++
        return Promise.reject(new KafkaIpcError('KIPC_UNAVAILABLE', 'down'))
      }),
      (error: unknown) => isKafkaIpcError(error, 'KIPC_UNAVAILABLE'),
    )
    assert.equal(calls, 3)
  })

  it('stops when the signal aborts', async () => {
    const controller = new AbortController()
    let calls = 0
    await assert.rejects(
      withRetries('GET', { attempts: 5, initialDelayMs: 50 }, undefined, 5_000, controller.signal, () => {
        calls++
        controller.abort()
        return Promise.reject(new KafkaIpcError('KIPC_UNAVAILABLE', 'down'))
      }),
    )
    assert.equal(calls, 1)
  })

  it('refuses a non-idempotent method without an id, and bad options', async () => {
    await assert.rejects(withRetries('POST', quick, undefined, 1_000, undefined, () => Promise.resolve(1)), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /idempotency key/.test(error.message))
    for (const bad of [{ attempts: 1 }, { attempts: 11 }, { attemptTimeout: 0 }, { initialDelayMs: -5 }]) {
      await assert.rejects(withRetries('GET', bad, undefined, 1_000, undefined, () => Promise.resolve(1)), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
    }
  })
})
