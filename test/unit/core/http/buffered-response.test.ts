// bufferedResponse behaves as `new Response(bytes, init)` does, seen from outside: every body
// method, the body as a stream, bodyUsed, clone, and reading twice.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bufferedResponse } from '../../../../src/core/http/buffered-response.ts'

const text = '{"price":120,"currency":"EUR"}'
const init = (): ResponseInit => ({ status: 201, statusText: 'Created', headers: [['content-type', 'application/json'], ['x-trace', 't1']] })
/** The bytes as the Kafka transport hands them over: a Buffer viewing part of a larger batch. */
const inBatch = (): Uint8Array => Buffer.from(`[batch before]${text}[batch after]`).subarray(14, 14 + text.length)
const both = (): [Response, Response] => [bufferedResponse(inBatch(), init()), new Response(new TextEncoder().encode(text), init())]

describe('bufferedResponse', () => {
  it('is a Response with the same status, headers and flags', () => {
    const [buffered, plain] = both()
    assert.ok(buffered instanceof Response)
    assert.deepEqual([buffered.status, buffered.statusText, buffered.ok, [...buffered.headers], buffered.bodyUsed], [plain.status, plain.statusText, plain.ok, [...plain.headers], plain.bodyUsed])
  })

  it('reads as a Response does through every body method, once', async () => {
    const reads: [string, (response: Response) => Promise<unknown>][] = [
      ['json', (response) => response.json()],
      ['text', (response) => response.text()],
      ['arrayBuffer', async (response) => Array.from(new Uint8Array(await response.arrayBuffer()))],
      ['bytes', async (response) => Array.from(await response.bytes())],
    ]
    for (const [name, read] of reads) {
      const [buffered, plain] = both()
      assert.deepEqual(await read(buffered), await read(plain), name)
      assert.equal(buffered.bodyUsed, true, `${name}: used after reading`)
      await assert.rejects(read(buffered), TypeError, `${name}: a second read fails`)
    }
    const [buffered] = both()
    const blob = await buffered.blob()
    assert.deepEqual([blob.type, await blob.text()], ['application/json', text])
  })

  it('gives its body as a stream, which can be read or handed on, and then counts as used', async () => {
    const [buffered] = both()
    assert.equal(buffered.bodyUsed, false)
    const stream = buffered.body
    assert.ok(stream)
    assert.equal(buffered.body, stream, 'the same stream each time')
    assert.equal(buffered.bodyUsed, false, 'asking for the stream is not reading it')
    assert.equal(await new Response(stream).text(), text)
    assert.equal(buffered.bodyUsed, true)
    await assert.rejects(buffered.json(), TypeError)
    const [locked] = both()
    locked.body?.getReader()
    await assert.rejects(locked.text(), TypeError, 'a locked stream is a used body')
  })

  it('is used once read, whichever way: its stream comes locked after a read, a read locks a stream handed out, a cancel uses it', async () => {
    const [read] = both()
    await read.text()
    assert.throws(() => read.body?.getReader(), TypeError)
    const [handedOut] = both()
    const stream = handedOut.body
    assert.equal(await handedOut.text(), text)
    assert.throws(() => stream?.getReader(), TypeError)
    const [cancelled] = both()
    await cancelled.body?.cancel()
    assert.equal(cancelled.bodyUsed, true)
    await assert.rejects(cancelled.text(), TypeError)
    const [chunked] = both()
    const chunk = (await chunked.body?.getReader().read())?.value as Uint8Array | undefined
    assert.equal(chunk?.buffer.byteLength, text.length, 'the chunk is a copy of the body, not a view into a larger batch')
  })

  it('clones into an independent response, and refuses to clone a used one', async () => {
    const [buffered] = both()
    const copy = buffered.clone()
    assert.deepEqual([await copy.json(), await buffered.text(), copy.status, copy.headers.get('x-trace')], [JSON.parse(text), text, 201, 't1'])
    assert.throws(() => buffered.clone(), TypeError)
  })

  it('reads a form body as a Response does', async () => {
    const form = bufferedResponse(new TextEncoder().encode('a=1&b=two'), { headers: [['content-type', 'application/x-www-form-urlencoded']] })
    // Deprecated only in Node's types; still part of Response.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const data = await form.formData()
    assert.deepEqual([data.get('a'), data.get('b')], ['1', 'two'])
  })
})
