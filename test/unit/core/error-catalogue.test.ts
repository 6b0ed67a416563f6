import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { errorCatalogue, type ErrorCode } from '../../../src/core/error-catalogue.ts'
import { KafkaIpcError, isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'

describe('error catalogue', () => {
  it('matches docs/errors.md row for row', async () => {
    const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
    const rows = [...doc.matchAll(/^\| `(KIPC_[A-Z_]+)` \| (\d{3}) \| (yes|no) \| (.+) \|$/gm)]
    const documented = new Map(rows.map((row) => [row[1], { status: Number(row[2]), retryable: row[3] === 'yes', summary: row[4] }]))
    const inCode = new Map(Object.entries(errorCatalogue).map(([code, spec]) => [code, { status: spec.status, retryable: spec.retryable, summary: spec.summary }]))
    assert.deepEqual(documented, inCode)
  })

  it('gives each error its code, status and retryability from the catalogue', () => {
    const cause = new Error('low level')
    const error = new KafkaIpcError('KIPC_KAFKA_DOWNLOAD_FAILED', 'no network', { cause, details: { artifact: 'x' } })
    assert.equal(error.code, 'KIPC_KAFKA_DOWNLOAD_FAILED')
    assert.equal(error.status, 502)
    assert.equal(error.retryable, true)
    assert.equal(error.cause, cause)
    assert.deepEqual(error.details, { artifact: 'x' })
    assert.equal(error.name, 'KafkaIpcError')
    assert.ok(isKafkaIpcError(error))
    assert.ok(isKafkaIpcError(error, 'KIPC_KAFKA_DOWNLOAD_FAILED'))
    assert.ok(!isKafkaIpcError(error, 'KIPC_PORT_IN_USE' satisfies ErrorCode))
    assert.ok(!isKafkaIpcError(new Error('plain')))
  })
})
