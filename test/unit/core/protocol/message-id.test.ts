import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newMessageId } from '../../../../src/core/protocol/message-id.ts'

describe('newMessageId', () => {
  it('draws distinct 22-character ids across refills of the entropy pool', () => {
    const ids = Array.from({ length: 1_000 }, () => newMessageId())
    assert.equal(new Set(ids).size, ids.length)
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/)
  })
})
