// The one table between error codes and HTTP statuses (src/core/http/error-status.ts,
// docs/errors.md "HTTP statuses"), read both ways: every catalogue error survives a trip through an
// HTTP status and the JSON error body, and every status of the table survives a trip without one.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { errorCatalogue, type ErrorCode } from '../../../../src/core/error-catalogue.ts'
import { codeForStatus, errorFromHttp, errorToHttp, statusCodes } from '../../../../src/core/http/error-status.ts'
import { KafkaIpcError, RemoteError } from '../../../../src/core/kafka-ipc-error.ts'

const catalogueCodes = Object.keys(errorCatalogue) as ErrorCode[]
const tableStatuses = Object.keys(statusCodes).map(Number)

/** What an HTTP body looks like after it crossed a wire as JSON text. */
function overTheWire(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body)) as unknown
}

describe('error ↔ HTTP status: code → status → code', () => {
  it('gives every catalogue error its catalogue status and a JSON error body', () => {
    assert.ok(catalogueCodes.length > 20, 'the whole catalogue is walked')
    for (const code of catalogueCodes) {
      const { status, headers, body } = errorToHttp(new KafkaIpcError(code, `failed with ${code}`))
      assert.equal(status, errorCatalogue[code].status, code)
      assert.deepEqual(headers, { 'content-type': 'application/json' }, code)
      assert.deepEqual(body, { code, message: `failed with ${code}`, retryable: errorCatalogue[code].retryable }, code)
    }
  })

  it('reads every catalogue error back with the same code, status, retryability and message', () => {
    for (const code of catalogueCodes) {
      const sent = errorToHttp(new KafkaIpcError(code, `failed with ${code}`))
      const read = errorFromHttp('pricing', sent.status, overTheWire(sent.body))
      assert.ok(read instanceof RemoteError, code)
      assert.deepEqual(
        { code: read.code, status: read.status, retryable: read.retryable, message: read.message, service: read.service },
        { code, status: errorCatalogue[code].status, retryable: errorCatalogue[code].retryable, message: `failed with ${code}`, service: 'pricing' },
        code,
      )
    }
  })

  it('keeps an application code with its own status and retryability', () => {
    const sent = errorToHttp(new KafkaIpcError('SEAT_TAKEN', 'Seat 12A is taken', { status: 409, retryable: true }))
    assert.equal(sent.status, 409)
    const read = errorFromHttp('booking', sent.status, overTheWire(sent.body))
    assert.deepEqual([read.code, read.status, read.retryable, read.message], ['SEAT_TAKEN', 409, true, 'Seat 12A is taken'])
  })

  it('answers anything else thrown as 500 KIPC_HANDLER_ERROR with its message', () => {
    for (const thrown of [new TypeError('x is undefined'), 'x is undefined']) {
      const sent = errorToHttp(thrown)
      assert.equal(sent.status, 500)
      assert.deepEqual(sent.body, { code: 'KIPC_HANDLER_ERROR', message: 'x is undefined', retryable: false })
      const read = errorFromHttp('pricing', sent.status, overTheWire(sent.body))
      assert.deepEqual([read.code, read.status, read.retryable], ['KIPC_HANDLER_ERROR', 500, false])
    }
  })

  it('carries the stack only when asked to, and reads it back as remoteStack', () => {
    const error = new KafkaIpcError('KIPC_HANDLER_ERROR', 'boom')
    assert.equal(errorToHttp(error).body.stack, undefined)
    const exposed = errorToHttp(error, true)
    assert.equal(exposed.body.stack, error.stack)
    assert.equal(errorFromHttp('pricing', exposed.status, overTheWire(exposed.body)).remoteStack, error.stack)
  })
})

describe('error ↔ HTTP status: status → code → status', () => {
  it('names for each status of the table a catalogue code of that very status', () => {
    assert.deepEqual(tableStatuses, [400, 404, 413, 499, 500, 502, 503, 504])
    for (const [status, code] of Object.entries(statusCodes)) {
      assert.equal(errorCatalogue[code].status, Number(status), `${status} → ${code}`)
      assert.equal(codeForStatus(Number(status)), code)
    }
  })

  it('reads a bare status (no error body) as the table says, and sends that error back as the same status', () => {
    for (const status of tableStatuses) {
      const error = errorFromHttp('pricing', status, undefined)
      const code = codeForStatus(status) as ErrorCode
      assert.equal(error.code, statusCodes[status as keyof typeof statusCodes], String(status))
      assert.equal(error.status, status)
      assert.equal(error.retryable, errorCatalogue[code].retryable, String(status))
      assert.equal(error.message, `pricing answered with status ${String(status)}.`)
      assert.equal(errorToHttp(error).status, status, `${String(status)} comes back as itself`)
      assert.equal(errorToHttp(error).body.code, error.code)
    }
  })

  it('reads every catalogue status back as a code of that status, or HTTP_<status>', () => {
    for (const code of catalogueCodes) {
      const { status } = errorCatalogue[code]
      const back = codeForStatus(status)
      if (Object.hasOwn(errorCatalogue, back)) assert.equal(errorCatalogue[back as ErrorCode].status, status, `${code}: ${String(status)} → ${back}`)
      else assert.equal(back, `HTTP_${String(status)}`, code)
    }
  })

  it('names a status the table does not list HTTP_<status>, and keeps the status', () => {
    for (const status of [200, 300, 401, 402, 403, 405, 409, 410, 418, 422, 429, 501, 505, 599]) {
      assert.equal(codeForStatus(status), `HTTP_${String(status)}`)
      const error = errorFromHttp('pricing', status, undefined)
      assert.deepEqual([error.code, error.status], [`HTTP_${String(status)}`, status])
      assert.equal(errorToHttp(error).status, status)
    }
  })

  it('takes 429 as retryable among unlisted statuses, and no other', () => {
    assert.equal(errorFromHttp('pricing', 429, undefined).retryable, true)
    for (const status of [401, 403, 409, 422, 501]) assert.equal(errorFromHttp('pricing', status, undefined).retryable, false, String(status))
  })
})

describe('error ↔ HTTP status: the table in docs/errors.md', () => {
  it('lists every status of the table with its code and retryability, and the HTTP_<status> rule', async () => {
    const doc = await readFile(new URL('../../../../docs/errors.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('## HTTP statuses'), doc.indexOf('## Catalogue'))
    assert.ok(section.length > 0, 'docs/errors.md has an "HTTP statuses" section before the catalogue')
    const rows = [...section.matchAll(/^ *\| (\d{3}) \| `(KIPC_[A-Z_]+)` \| (yes|no) \|$/gm)]
    const documented = new Map(rows.map((row) => [Number(row[1]), { code: row[2], retryable: row[3] === 'yes' }]))
    const inCode = new Map(tableStatuses.map((status) => [status, { code: codeForStatus(status), retryable: errorFromHttp('any', status, undefined).retryable }]))
    assert.deepEqual(documented, inCode)
    assert.match(section, /^ *\| any other \| `HTTP_<status>` \| only `HTTP_429` \|$/m)
  })
})

describe('error ↔ HTTP status: bodies that are not error bodies', () => {
  it("takes a text body as the message, cut to 1 000 characters, and the status' code", () => {
    const error = errorFromHttp('pricing', 404, 'Not Found')
    assert.deepEqual([error.code, error.status, error.message], ['KIPC_NOT_FOUND', 404, 'Not Found'])
    const long = errorFromHttp('pricing', 502, `${'x'.repeat(999)}yz${'w'.repeat(5_000)}`)
    assert.equal(long.message.length, 1_000)
    assert.equal(long.message, `${'x'.repeat(999)}y`)
    assert.equal(long.code, 'KIPC_PROTOCOL_ERROR')
  })

  it('gives an empty text, bytes, or JSON that is not an error body the default message', () => {
    for (const body of ['', new Uint8Array([110, 111]), { error: 'not found' }, { code: 'X' }, { code: 7, message: 'm' }, ['Not Found'], null, 404]) {
      const error = errorFromHttp('pricing', 404, body)
      assert.deepEqual([error.code, error.status, error.message], ['KIPC_NOT_FOUND', 404, 'pricing answered with status 404.'], JSON.stringify(body))
    }
  })

  it("keeps an error body's own code whatever the status, and its retryable only when it is true", () => {
    const own = errorFromHttp('pricing', 404, { code: 'KIPC_UNKNOWN_SERVICE', message: 'no such service', retryable: true })
    assert.deepEqual([own.code, own.status, own.retryable, own.message], ['KIPC_UNKNOWN_SERVICE', 404, true, 'no such service'])
    const foreign = errorFromHttp('pricing', 400, { code: 'FST_ERR_VALIDATION', message: 'body must have property seat', statusCode: 400 })
    assert.deepEqual([foreign.code, foreign.status, foreign.retryable], ['FST_ERR_VALIDATION', 400, false])
  })
})
