// fetch's arguments read without building a Request must read as a Request would read them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readFetchArguments } from '../../../../src/core/http/fetch-arguments.ts'
import { requestHeaders } from '../../../../src/core/http/web-messages.ts'
import { isKafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'

/** What `new Request` makes of the same arguments. */
async function viaRequest(input: string, init: RequestInit): Promise<{ url: string; method: string; headers: Record<string, string>; body: number[] | undefined }> {
  const request = new Request(input, init)
  const bytes = request.method === 'GET' || request.method === 'HEAD' ? undefined : Array.from(new Uint8Array(await request.arrayBuffer()))
  return { url: request.url, method: request.method, headers: { ...requestHeaders(request.headers) }, body: bytes?.length === 0 ? undefined : bytes }
}

describe('readFetchArguments', () => {
  const cases: [string, RequestInit][] = [
    ['kafka://pricing/quotes?to=JFK', {}],
    ['kafka://pricing/quotes', { method: 'post', body: '{"to":"JFK"}', headers: { 'Content-Type': 'application/json', 'X-Tenant': '  t1 ' } }],
    ['kafka://pricing/quotes', { method: 'put', body: 'plain text' }],
    ['kafka://pricing/quotes/1', { method: 'patch', body: new Uint8Array([1, 2, 3]), headers: [['x-a', '1'], ['x-a', '2']] }],
    ['kafka://pricing/quotes/1', { method: 'delete', headers: new Headers({ accept: 'application/json' }) }],
    ['kafka://pricing/quotes', { method: 'OPTIONS' }],
  ]
  for (const [input, init] of cases) {
    it(`reads ${init.method ?? 'GET'} ${input} as new Request does`, async () => {
      const read = await readFetchArguments(input, init)
      assert.deepEqual({ url: read.url, method: read.method, headers: { ...read.headers }, body: read.body === undefined ? undefined : Array.from(read.body) }, await viaRequest(input, init))
    })
  }

  it('reads a URL object, and what it cannot read directly (a Request, a stream) through Request', async () => {
    assert.equal((await readFetchArguments(new URL('kafka://a/b'), {})).url, 'kafka://a/b')
    const fromRequest = await readFetchArguments(new Request('kafka://a/b', { method: 'POST', body: 'x' }), {})
    assert.deepEqual([fromRequest.method, Array.from(fromRequest.body ?? [])], ['POST', [120]])
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([7]))
        controller.close()
      },
    })
    const streamed = await readFetchArguments('kafka://a/b', { method: 'POST', body: stream, duplex: 'half' })
    assert.deepEqual(Array.from(streamed.body ?? []), [7])
  })

  it('refuses what fetch refuses, typed', async () => {
    const refused = [
      () => readFetchArguments('kafka://a/b', { method: 'GET', body: 'x' }),
      () => readFetchArguments('kafka://a/b', { method: 'TRACE' }),
      () => readFetchArguments('kafka://a/b', { method: 'BAD METHOD' }),
      () => readFetchArguments('kafka://a/b', { headers: [['bad name', 'x']] }),
      () => readFetchArguments('kafka://a/b', { headers: { 'x-a': 'a\r\nset-cookie: evil=1' } }),
    ]
    for (const attempt of refused) await assert.rejects(async () => attempt(), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
  })
})
