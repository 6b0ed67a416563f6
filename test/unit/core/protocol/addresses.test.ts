import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseAddress } from '../../../../src/core/protocol/addresses.ts'

describe('reply addresses', () => {
  it('parses reply addresses strictly', () => {
    assert.deepEqual(parseAddress('kipc.inbox.svc.a1:0'), { topic: 'kipc.inbox.svc.a1', partition: 0 })
    for (const bad of ['no-partition', 'topic:-1', 'a b:0', 'topic:0:1', ':0', `${'t'.repeat(250)}:0`]) assert.equal(parseAddress(bad), undefined, bad)
  })
})
