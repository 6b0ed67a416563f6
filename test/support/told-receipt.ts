import type { SendReceipt } from '../../src/core/transport.ts'

/**
 * A send's receipt that records what it was told, in order: `sent`, or `unsent: <message>`.
 *
 * @example
 * ```ts
 * const told = new ToldReceipt()
 * sendAndTell(transport, [record], undefined, told)
 * await turn()
 * assert.deepEqual(told.events, ['sent'])
 * ```
 */
export class ToldReceipt implements SendReceipt {
  readonly events: string[] = []

  sent(): void {
    this.events.push('sent')
  }

  unsent(error: unknown): void {
    this.events.push(`unsent: ${error instanceof Error ? error.message : String(error)}`)
  }
}
