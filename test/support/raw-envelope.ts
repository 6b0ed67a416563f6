// Reading a record's headers as docs/protocol.md §2 describes them, with nothing from src/: a
// packed `kipc` header is split into its `kipc-*` fields by plain string splitting, so that the
// raw-client tests check the document, not the code that writes it.

/** The fields of a packed envelope (`v=1;kind=reply;…`), `%XX` escapes decoded, in order. */
export function unpackedFields(value: string): [string, string][] {
  return value.split(';').map((pair) => {
    const at = pair.indexOf('=')
    return [`kipc-${pair.slice(0, at)}`, pair.slice(at + 1).replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))]
  })
}

/** A record's headers with a packed `kipc` header read as its fields, in order. */
export function envelopeFields(headers: Iterable<readonly [string, string]>): [string, string][] {
  return [...headers].flatMap(([name, value]): [string, string][] => (name === 'kipc' ? unpackedFields(value) : [[name, value]]))
}
