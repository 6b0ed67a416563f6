import { concatBytes } from '../../core/http/concat-bytes.ts'

/**
 * Reads a byte stream whole, but never more than `limit` bytes of it: past the limit the stream
 * is cancelled (so its producer stops) and `undefined` is returned. A failing stream rejects with
 * its error.
 *
 * @example
 * ```ts
 * const bytes = await readBounded(response.body, 1_048_576) // undefined when larger
 * ```
 */
export async function readBounded(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array | undefined> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value: Uint8Array | undefined }
    if (done || value === undefined) break
    total += value.byteLength
    if (total > limit) {
      reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  return concatBytes(chunks, total)
}
