// Tokens passed to keytool and Kafka's tools never start with '-': keytool's launcher read a store
// password drawn as `-JNAAK…` as a JVM option, and the certificate step failed once in 4,096.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { flagSafeToken } from '../../../src/local-kafka/flag-safe-token.ts'

describe('flagSafeToken', () => {
  it('draws base64url tokens of the asked length that never start with a dash (about one draw in 64 is redrawn)', () => {
    for (let i = 0; i < 20_000; i++) assert.match(flagSafeToken(18), /^[A-Za-z0-9_][A-Za-z0-9_-]{23}$/)
  })
})
