import { errorToHttp } from '../../core/http/error-status.ts'

const encoder = new TextEncoder()

/**
 * True when an `Accept` header asks for server-sent events (`text/event-stream`) by name.
 *
 * @example
 * ```ts
 * wantsEventStream('text/event-stream') // true
 * wantsEventStream('application/json, text/plain') // false
 * ```
 */
export function wantsEventStream(accept: string | null): boolean {
  if (accept === null) return false
  return accept.split(',').some((range) => (range.split(';', 1)[0] ?? '').trim().toLowerCase() === 'text/event-stream')
}

/**
 * A response as server-sent events. A typed stream's body (`application/x-ndjson`, one JSON item
 * per line) becomes one `data: <item>` event per item; an error part-way through becomes a last
 * `event: error` whose data is the JSON error body, so an EventSource learns why it ended. A body
 * that already is `text/event-stream` passes unchanged, and so does any other answer — a plain
 * reply, an error before the stream began — whose status and type tell the client what it got.
 *
 * @example
 * ```ts
 * const response = await client.fetch('kafka://offers/search')
 * return wantsEventStream(request.headers.get('accept')) ? asEventStream(response) : response
 * ```
 */
export function asEventStream(response: Response): Response {
  const type = (response.headers.get('content-type') ?? '').split(';', 1)[0]?.trim().toLowerCase()
  if (type !== 'application/x-ndjson' || response.body === null) return response
  const headers = new Headers(response.headers)
  headers.set('content-type', 'text/event-stream')
  headers.set('cache-control', 'no-cache')
  headers.delete('content-length')
  return new Response(ndjsonToEvents(response.body), { status: response.status, statusText: response.statusText, headers })
}

function ndjsonToEvents(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader()
  const decoder = new TextDecoder()
  let partial = ''
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Reads until at least one whole event can be sent: a chunk may hold part of a line.
      for (;;) {
        let chunk: { done: boolean; value: Uint8Array | undefined }
        try {
          chunk = await reader.read()
        } catch (error) {
          controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify(errorToHttp(error).body)}\n\n`))
          controller.close()
          return
        }
        if (chunk.done || chunk.value === undefined) {
          const last = (partial + decoder.decode()).trim()
          if (last !== '') controller.enqueue(encoder.encode(`data: ${last}\n\n`))
          controller.close()
          return
        }
        const lines = (partial + decoder.decode(chunk.value, { stream: true })).split('\n')
        partial = lines.pop() ?? ''
        const events = lines
          .map((line) => line.trim())
          .filter((line) => line !== '')
          .map((line) => `data: ${line}\n\n`)
          .join('')
        if (events !== '') {
          controller.enqueue(encoder.encode(events))
          return
        }
      }
    },
    cancel(reason) {
      // The HTTP client went away: cancelling the source tells the responder to stop.
      return reader.cancel(reason)
    },
  })
}
