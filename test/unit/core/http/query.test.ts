// The query string of a request (src/core/http/query.ts: what a caller's `query` becomes in the
// kipc-query header) and the kafka:// URLs of client.fetch() (src/core/http/kafka-url.ts).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseKafkaUrl } from '../../../../src/core/http/kafka-url.ts'
import { maxQueryLength, queryString } from '../../../../src/core/http/query.ts'
import { kafkaUrl } from '../../../../src/core/http/web-messages.ts'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'

const invalidArgument = (error: unknown): boolean => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT')

describe('query strings', () => {
  it('serializes an object: arrays repeat the key, numbers and booleans as text, undefined left out', () => {
    assert.equal(queryString({ from: 'WAW', seat: ['1A', '1B'] }), 'from=WAW&seat=1A&seat=1B')
    assert.equal(queryString({ adults: 2, flexible: true, child: undefined, infants: 0 }), 'adults=2&flexible=true&infants=0')
    assert.equal(queryString({ ids: [1, 2, 3] }), 'ids=1&ids=2&ids=3')
  })

  it('percent-encodes what an object holds, so URLSearchParams reads the same values back', () => {
    const query = { q: 'a&b=c d', city: 'Łódź', 'odd key': '?#' }
    const text = queryString(query)
    assert.equal(text, 'q=a%26b%3Dc+d&city=%C5%81%C3%B3d%C5%BA&odd+key=%3F%23')
    const read = new URLSearchParams(text)
    assert.deepEqual(Object.fromEntries(read), query)
  })

  it('takes URLSearchParams as they print, and text as it is, without a leading ?', () => {
    assert.equal(queryString(new URLSearchParams([['a', '1'], ['a', '2'], ['b', 'x y']])), 'a=1&a=2&b=x+y')
    assert.equal(queryString('from=WAW&to=JFK'), 'from=WAW&to=JFK')
    assert.equal(queryString('?from=WAW'), 'from=WAW')
    // Text is not re-encoded: it goes as the caller wrote it.
    assert.equal(queryString('q=a b'), 'q=a b')
  })

  it('sends no query at all for nothing, an empty object, an empty array or empty text', () => {
    for (const empty of [undefined, {}, { a: undefined }, { a: [] }, new URLSearchParams(), '', '?']) {
      assert.equal(queryString(empty), undefined, JSON.stringify(empty))
    }
  })

  it(`allows at most ${String(maxQueryLength)} bytes, counted as sent (UTF-8, without the ?)`, () => {
    assert.equal(maxQueryLength, 8192)
    const longest = `q=${'x'.repeat(maxQueryLength - 2)}`
    assert.equal(queryString(longest), longest)
    assert.equal(queryString(`?${longest}`), longest)
    assert.throws(() => queryString(`${longest}x`), (error: unknown) => invalidArgument(error) && (error as Error).message.includes('8193 bytes'))
    // Counted in bytes: 4 100 two-byte characters are 8 200 bytes.
    assert.throws(() => queryString(`q=${'é'.repeat(4_100)}`), (error: unknown) => invalidArgument(error) && (error as Error).message.includes('8202 bytes'))
    // 3 000 ampersands are 9 000 characters once encoded.
    assert.throws(() => queryString({ q: '&'.repeat(3_000) }), invalidArgument)
    assert.throws(() => queryString(new URLSearchParams({ q: 'x'.repeat(maxQueryLength) })), invalidArgument)
  })
})

describe('kafka:// URLs', () => {
  it('names the service, the path and the query string', () => {
    assert.deepEqual(parseKafkaUrl('kafka://pricing/quotes/EUR?to=JFK'), { service: 'pricing', path: '/quotes/EUR', query: 'to=JFK' })
    assert.deepEqual(parseKafkaUrl('kafka://pricing/quotes?to=JFK&seat=1A&seat=1B'), { service: 'pricing', path: '/quotes', query: 'to=JFK&seat=1A&seat=1B' })
    assert.deepEqual(parseKafkaUrl('kafka://booking-v2_eu/bookings/B1'), { service: 'booking-v2_eu', path: '/bookings/B1', query: undefined })
  })

  it('reads a missing path as /, an empty query as none, and leaves the fragment out', () => {
    assert.deepEqual(parseKafkaUrl('kafka://pricing'), { service: 'pricing', path: '/', query: undefined })
    assert.deepEqual(parseKafkaUrl('kafka://pricing/'), { service: 'pricing', path: '/', query: undefined })
    assert.deepEqual(parseKafkaUrl('kafka://pricing/quotes?'), { service: 'pricing', path: '/quotes', query: undefined })
    assert.deepEqual(parseKafkaUrl('kafka://pricing/quotes#top'), { service: 'pricing', path: '/quotes', query: undefined })
  })

  it('gives the path and query as a URL holds them: percent-encoded, dot segments resolved', () => {
    assert.deepEqual(parseKafkaUrl('kafka://pricing/notes/a b?q=a b'), { service: 'pricing', path: '/notes/a%20b', query: 'q=a%20b' })
    assert.deepEqual(parseKafkaUrl('kafka://pricing/a/../b/./c'), { service: 'pricing', path: '/b/c', query: undefined })
    assert.equal(parseKafkaUrl('KAFKA://pricing/x').service, 'pricing')
  })

  it('refuses anything but kafka://<service>/<path> with KIPC_INVALID_ARGUMENT', () => {
    for (const url of [
      'not a url',
      '/quotes',
      'https://pricing/quotes',
      'http://pricing/quotes',
      'kafka:///quotes',
      'kafka:pricing/quotes',
      'kafka://pricing:9092/quotes',
      'kafka://user@pricing/quotes',
      'kafka://user:secret@pricing/quotes',
      'kafka://pricing.eu/quotes',
      'kafka://inbox/x',
      'kafka://event/x',
      'kafka://gather/x',
      'kafka://-pricing/x',
      'kafka://pri%63ing/x',
      `kafka://${'p'.repeat(101)}/x`,
    ]) {
      assert.throws(() => parseKafkaUrl(url), invalidArgument, url)
    }
  })

  it('reads a URL read before the same way, refuses a bad one every time, and hands out targets no caller can change', () => {
    const first = parseKafkaUrl('kafka://pricing/quotes/GBP?to=LHR')
    const again = parseKafkaUrl('kafka://pricing/quotes/GBP?to=LHR')
    assert.deepEqual(again, { service: 'pricing', path: '/quotes/GBP', query: 'to=LHR' })
    assert.ok(Object.isFrozen(first) && Object.isFrozen(again))
    assert.throws(() => {
      ;(again as { path: string }).path = '/other'
    }, TypeError)
    assert.equal(parseKafkaUrl('kafka://pricing/quotes/GBP?to=LHR').path, '/quotes/GBP')
    for (let attempt = 0; attempt < 3; attempt++) assert.throws(() => parseKafkaUrl('https://pricing/quotes'), invalidArgument)
    // Past the URLs it keeps, a URL is still read, each time.
    for (let index = 0; index < 1_500; index++) assert.equal(parseKafkaUrl(`kafka://pricing/quotes?n=${String(index)}`).query, `n=${String(index)}`)
  })

  it('names the scheme it refuses, and quotes at most 200 characters of a URL', () => {
    assert.throws(() => parseKafkaUrl('https://pricing/quotes'), (error: unknown) => invalidArgument(error) && (error as Error).message.includes('not https://'))
    const long = `nope ${'x'.repeat(500)}`
    assert.throws(() => parseKafkaUrl(long), (error: unknown) => invalidArgument(error) && (error as Error).message.includes(JSON.stringify(long.slice(0, 200))) && !(error as Error).message.includes('x'.repeat(196)))
  })

  it('reads back the URL a mounted app is given', () => {
    for (const [service, path, query] of [
      ['pricing', '/quotes/EUR', 'to=JFK'],
      ['pricing', '/', undefined],
      ['shop', '/bookings/B1/seats', 'seat=1A&seat=1B'],
    ] as const) {
      assert.equal(kafkaUrl(service, path, query), `kafka://${service}${path}${query === undefined ? '' : `?${query}`}`)
      assert.deepEqual(parseKafkaUrl(kafkaUrl(service, path, query)), { service, path, query })
    }
  })
})
