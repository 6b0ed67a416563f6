import type { IncomingMessage, OutgoingMessage } from '../core/transport.ts'

/**
 * The bytes a record carries — its value, key and headers, the part that grows with the record:
 * what a consumed record counts for against a subscription's `maxBufferedBytes`, and what a send
 * adds to a merged produce request. Strings count one byte per UTF-16 unit
 * — exact for the ASCII envelope headers, close enough for the rest — so nothing is re-encoded
 * on the hot path.
 *
 * @example
 * ```ts
 * recordBytes({ topic: 't', partition: 0, offset: 0n, key: 'k', headers: new Map([['kipc-v', '1']]), value: new Uint8Array(200), timestamp: 0 }) // 208
 * ```
 */
export function recordBytes(message: IncomingMessage | OutgoingMessage): number {
  counted = message.value.byteLength + (message.key?.length ?? 0)
  // forEach with a module-level callback: no entry array per header, no closure per record.
  message.headers.forEach(countHeader)
  return counted
}

let counted = 0

function countHeader(value: string, name: string): void {
  counted += name.length + value.length
}
