// Decorations, typed by declaration merging as a user would (`declare module 'kafka-ipc'`), and the
// table's rules. The type checks run under `tsc --noEmit`; `@ts-expect-error` marks lines that must
// not compile.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DecorationTable, type DecorationValue } from '../../../src/core/decorations.ts'
import type { HandlerContext } from '../../../src/core/handler-types.ts'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { Service } from '../../../src/core/service.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'

declare module '../../../src/core/decorations.ts' {
  interface Decorations {
    /** Declared by this test: every handler reads it typed. */
    readonly testRates?: ReadonlyMap<string, number>
  }
}

/** Compiles only; never called. */
export function decorationTypes(app: Service, context: HandlerContext): unknown[] {
  app.decorate('testRates', new Map([['WAW-JFK', 120]]))
  // @ts-expect-error a declared decoration takes only its declared type
  app.decorate('testRates', 'not a map')
  app.decorate('undeclared', { anything: true })
  const rates: ReadonlyMap<string, number> | undefined = context.decorations.testRates
  const other: unknown = context.decorations['undeclared']
  const declared: DecorationValue<'testRates'> = undefined
  return [rates, other, declared]
}

describe('DecorationTable', () => {
  it('sets each name once, in an object without a prototype', () => {
    const table = new DecorationTable('pricing')
    table.set('db', 1)
    assert.equal(table.values['db'], 1)
    assert.equal(Object.getPrototypeOf(table.values), null)
    assert.throws(() => {
      table.set('db', 2)
    }, (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT') && /already has a decoration named db/.test(error.message))
  })

  it('refuses names that would reach a prototype, and the empty name', () => {
    const table = new DecorationTable('pricing')
    for (const name of ['__proto__', 'constructor', 'prototype', '']) {
      assert.throws(() => {
        table.set(name, {})
      }, (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'), name)
    }
  })

  it('is what a service hands its handlers', () => {
    const app = new Service({ name: 'pricing', transport: memoryTransport() })
    app.decorate('testRates', new Map([['WAW-JFK', 120]]))
    assert.equal(app.decorations.testRates?.get('WAW-JFK'), 120)
  })
})
