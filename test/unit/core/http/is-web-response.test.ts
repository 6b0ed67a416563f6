import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isWebResponse } from '../../../../src/core/http/is-web-response.ts'

describe('isWebResponse', () => {
  it('is true for a Response and a subclass of it', () => {
    class Tagged extends Response {}
    assert.equal(isWebResponse(new Response('ok')), true)
    assert.equal(isWebResponse(new Tagged('ok')), true)
  })

  it('is false for plain bodies, primitives and nothing', () => {
    for (const value of [{ id: 'Q1' }, [1, 2], 'text', 42, true, null, undefined, new Map(), Object.create(null) as object]) assert.equal(isWebResponse(value), false)
  })

  it('is false for an object that only names itself a Response', () => {
    assert.equal(isWebResponse({ [Symbol.toStringTag]: 'Response', status: 200 }), false)
  })
})
