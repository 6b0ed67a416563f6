// Bodies and headers crafted to pollute prototypes go through the transport under test (written
// raw, as any Kafka client could) to a route and an event handler. Afterwards Object.prototype and
// Array.prototype must hold none of the keys the payloads tried to set, and the handlers must have
// seen the hostile keys only as plain data.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { WireHeaders } from '../../src/core/protocol/headers.ts'
import { booked, echo } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'

/** A JSON text and headers that try every common route to a prototype, with marker names unique to this run. */
function hostile(marker: string, valid: Record<string, unknown>): { json: string; headers: WireHeaders; keys: string[] } {
  const keys = [`${marker}a`, `${marker}b`, `${marker}c`, `${marker}d`]
  const [a = '', b = '', c = '', d = ''] = keys
  // Written as text: an object literal with __proto__ would set the prototype of the literal itself.
  const json = `{${Object.entries(valid)
    .map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`)
    .join(',')},"__proto__":{"${a}":1},"constructor":{"prototype":{"${b}":1}},"nested":{"__proto__":{"${c}":1},"list":[{"__proto__":{"${d}":1}}]}}`
  const headers: WireHeaders = new Map([
    ['__proto__', `{"${a}":1}`],
    ['constructor', 'x'],
    ['prototype', 'x'],
    ['hasownproperty', 'x'],
    [a, 'x'],
  ])
  return { json, headers, keys }
}

function assertPrototypesClean(keys: readonly string[]): void {
  for (const key of keys) {
    assert.equal(Object.hasOwn(Object.prototype, key), false, `Object.prototype.${key}`)
    assert.equal(Object.hasOwn(Array.prototype, key), false, `Array.prototype.${key}`)
    assert.equal(Object.hasOwn(Function.prototype, key), false, `Function.prototype.${key}`)
    assert.equal((({}) as Record<string, unknown>)[key], undefined)
    assert.equal(([] as unknown as Record<string, unknown>)[key], undefined)
  }
}

export function hostileInputSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('hostile bodies and headers', () => {
    it('a request and an event built to pollute prototypes reach their handlers as plain data and change no prototype', async () => {
      const { service, client, transport, policy } = kit()
      const marker = `kipcPolluted${randomUUID().replaceAll('-', '')}`
      const seen: { body: unknown; headers: Record<string, string> }[] = []
      const app = service('echo')
      app.handle(echo, (request) => {
        seen.push({ body: request.body, headers: request.headers })
        return { ...request.body, responder: 'r' }
      })
      app.on(booked, (event) => {
        seen.push({ body: event.body, headers: event.headers })
      })
      await app.listen()
      const caller = client('caller')
      await caller.ready()
      const request = hostile(marker, { caller: 'c', n: 1 })
      const event = hostile(marker, { id: 'B1', seq: 1 })
      const raw = transport()
      const asBytes = (json: string): Uint8Array => new TextEncoder().encode(json)
      const requestRecord = buildMessage(
        { topic: topicNames.requests(policy, 'echo') },
        'request',
        { replyTo: caller.address, deadline: Date.now() + 10_000, method: echo.method, path: echo.path, service: 'caller' },
        undefined,
        policy.codec,
        policy.maxMessageBytes,
        request.headers,
      )
      const eventRecord = buildMessage({ topic: topicNames.event(policy, booked.name) }, 'event', { service: 'caller' }, undefined, policy.codec, policy.maxMessageBytes, event.headers)
      await raw.send([
        { ...requestRecord, value: asBytes(request.json) },
        { ...eventRecord, value: asBytes(event.json) },
      ])
      await waitUntil(() => seen.length >= 2, 'both handlers ran')
      assertPrototypesClean([...request.keys, ...event.keys])
      for (const { body, headers } of seen) {
        // The contract's schema keeps only the fields it declares.
        assert.equal(Object.getPrototypeOf(body), Object.prototype)
        for (const key of ['__proto__', 'constructor', 'nested']) assert.equal(Object.hasOwn(body as object, key), false, `the body kept no ${key}`)
        // Headers are a null-prototype record: hostile names are plain entries.
        assert.equal(Object.getPrototypeOf(headers), null)
        assert.equal(headers['__proto__'], `{"${marker}a":1}`)
        assert.equal(headers['constructor'], 'x')
        assert.equal(headers['hasownproperty'], 'x')
      }
    })
  })
}
