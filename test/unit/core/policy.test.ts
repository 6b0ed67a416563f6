import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { defaultPolicy, definePolicy, loadPolicy } from '../../../src/core/policy.ts'
import { temporaryFolder } from '../../support/temporary-folder.ts'

describe('policy', () => {
  it('fills defaults and freezes the result', () => {
    const policy = definePolicy({ prefix: 'airline', retentionMs: { inbox: 60_000 } })
    assert.equal(policy.prefix, 'airline')
    assert.equal(policy.partitions, defaultPolicy.partitions)
    assert.equal(policy.retentionMs.inbox, 60_000)
    assert.equal(policy.retentionMs.events, defaultPolicy.retentionMs.events)
    assert.ok(Object.isFrozen(policy))
  })

  it('has the defaults docs/policy.md documents', () => {
    // Change docs/policy.md with any of these.
    assert.deepEqual(
      { ...defaultPolicy, codec: defaultPolicy.codec.contentType },
      {
        prefix: 'kipc',
        partitions: 6,
        replication: -1,
        retentionMs: { requests: 3_600_000, events: 7 * 24 * 3_600_000, inbox: 600_000, deadLetters: 14 * 24 * 3_600_000 },
        timeoutMs: 5_000,
        maxTimeoutMs: 3_600_000,
        autoCreateTopics: true,
        maxMessageBytes: 1_000_000,
        exposeErrorStack: false,
        validateReplies: true,
        maxInFlight: 256,
        maxBufferedBytes: 8 * 1024 * 1024,
        eventsStartFrom: 'earliest',
        deduplicationWindow: 10_000,
        inboxIdleMs: 600_000,
        eventRetries: { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 10_000 },
        compression: 'none',
        envelope: 'packed',
        streamWindow: 4_096,
        codec: 'application/json',
      },
    )
  })

  it('rejects malformed settings with KIPC_INVALID_POLICY naming the setting', () => {
    for (const [input, pattern] of [
      [{ partitions: 0 }, /partitions/],
      [{ replication: 0 }, /replication/],
      [{ prefix: 'has space' }, /prefix/],
      [{ timeoutMs: 1.5 }, /timeoutMs/],
      [{ eventsStartFrom: 'middle' as 'latest' }, /eventsStartFrom/],
      [{ compression: 'brotli' as 'zstd' }, /compression/],
      [{ retentionMs: { requests: -1 } }, /retentionMs.requests/],
      [{ deduplicationWindow: -1 }, /deduplicationWindow/],
      [{ maxTimeoutMs: 2 ** 31 }, /maxTimeoutMs must be at most 2147483647/],
      [{ timeoutMs: 10_000, maxTimeoutMs: 5_000 }, /timeoutMs \(10000\) must not exceed maxTimeoutMs/],
    ] as const) {
      assert.throws(() => definePolicy(input), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_POLICY') && pattern.test(error.message))
    }
  })

  it('reads a config file, then lets environment variables override it', async (t) => {
    const dir = await temporaryFolder(t, 'kipc-policy-')
    const file = join(dir, 'kafka-ipc.json')
    await writeFile(file, JSON.stringify({ prefix: 'fromfile', timeoutMs: 1234, partitions: 12, compression: 'lz4' }))
    const policy = loadPolicy({ env: { KAFKA_IPC_CONFIG: file, KIPC_TIMEOUT_MS: '900', KIPC_AUTO_CREATE_TOPICS: 'false', KIPC_COMPRESSION: 'zstd', KIPC_DEDUPLICATION_WINDOW: '0' } })
    assert.equal(policy.compression, 'zstd')
    assert.equal(policy.deduplicationWindow, 0)
    assert.equal(policy.prefix, 'fromfile')
    assert.equal(policy.partitions, 12)
    assert.equal(policy.timeoutMs, 900)
    assert.equal(policy.autoCreateTopics, false)
  })

  it('takes the event retries from a file and their number of runs from KIPC_EVENT_MAX_ATTEMPTS, the inbox threshold from KIPC_INBOX_IDLE_MS', async (t) => {
    const dir = await temporaryFolder(t, 'kipc-policy-')
    const file = join(dir, 'kafka-ipc.json')
    await writeFile(file, JSON.stringify({ eventRetries: { initialDelayMs: 50 } }))
    const policy = loadPolicy({ env: { KAFKA_IPC_CONFIG: file, KIPC_EVENT_MAX_ATTEMPTS: '2', KIPC_INBOX_IDLE_MS: '0' } })
    assert.deepEqual(policy.eventRetries, { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 10_000 })
    assert.equal(policy.inboxIdleMs, 0)
    assert.throws(() => definePolicy({ eventRetries: { maxAttempts: 0 } }), /eventRetries.maxAttempts/)
  })

  it('explains a bad config file or variable', async (t) => {
    const dir = await temporaryFolder(t, 'kipc-policy-')
    const file = join(dir, 'bad.json')
    await writeFile(file, JSON.stringify({ prefx: 'typo' }))
    assert.throws(() => loadPolicy({ file, env: {} }), /unknown setting "prefx"/)
    assert.throws(() => loadPolicy({ file: join(dir, 'missing.json'), env: {} }), /Cannot read the kafka-ipc config file/)
    assert.throws(() => loadPolicy({ env: { KIPC_PARTITIONS: 'six' } }), /KIPC_PARTITIONS must be an integer/)
    assert.throws(() => loadPolicy({ env: { KIPC_EXPOSE_ERROR_STACK: 'yes' } }), /must be true or false/)
  })
})
