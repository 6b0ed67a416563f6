import { asError } from '../as-error.ts'

/**
 * The class, made on the first response: naming the global `Response` makes Node load its fetch
 * implementation (undici: about 2 MiB of a process's memory), which a service that never calls
 * `client.fetch()` should not pay for by importing kafka-ipc.
 */
let bufferedResponseClass: (new (bytes: Uint8Array, init: ResponseInit) => Response) | undefined

/**
 * A Web `Response` over a body already in memory — a reply read from Kafka. It is a `Response`
 * (`instanceof Response`, status, headers, `ok`, every body method, `body` as a stream), but its
 * body stays the bytes until asked for: `json()`, `text()`, `arrayBuffer()`, `bytes()` read them
 * directly, and `body` becomes a `ReadableStream` only when something asks for it. A plain
 * `Response` copies the bytes and builds a stream at once, which costs more than the rest of a
 * `fetch()` over Kafka (docs/performance.md). Read once, as any Response: a second read, or a
 * read after the stream was taken, is a `TypeError`. One difference remains: the platform's own
 * methods called through the prototype (`Response.prototype.text.call(response)`) see the base
 * Response, whose body is empty — call them on the response, as everyone does.
 *
 * @example
 * ```ts
 * const response = bufferedResponse(new TextEncoder().encode('{"price":120}'), { status: 200, headers: [['content-type', 'application/json']] })
 * await response.json() // { price: 120 }
 * ```
 */
export function bufferedResponse(bytes: Uint8Array, init: ResponseInit): Response {
  bufferedResponseClass ??= defineBufferedResponse()
  return new bufferedResponseClass(bytes, init)
}

/** The body of one BufferedResponse: the bytes, and the stream once asked for. */
interface BufferedBody {
  readonly bytes: Uint8Array
  stream: ReadableStream<Uint8Array> | undefined
  used: boolean
}

const decoder = new TextDecoder()

/**
 * The body of a BufferedResponse, read from its private field by the class's own brand check:
 * undefined for any other object. Set when the class is made.
 */
let bodyField: (response: object) => BufferedBody | undefined = () => undefined

function bodyOf(response: object): BufferedBody {
  const body = bodyField(response)
  if (body === undefined) throw new TypeError('Illegal invocation: not a buffered response')
  return body
}

/** Locks a stream for good, as a read body's is. */
function lock(stream: ReadableStream<Uint8Array>): void {
  if (!stream.locked) stream.getReader()
}

/**
 * A copy of the bytes in an ArrayBuffer of their own. Not `slice()`: on a Buffer — what the Kafka
 * transport hands over, a view into a whole fetched batch — that is a view, not a copy.
 */
function copyOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return copy
}

/**
 * Reads the body once: a second read, or one after its stream was taken, fails as a Response's
 * does. Once the stream has been handed out, the body is read through it (locking it, as a
 * Response's read does); before, the bytes are read directly and the stream, if asked for later,
 * comes locked.
 */
function take<T>(response: object, read: (bytes: Uint8Array) => T): Promise<T> {
  const body = bodyOf(response)
  if (body.used || body.stream?.locked === true) return Promise.reject(new TypeError('Body is unusable: Body has already been read'))
  if (body.stream !== undefined) return new Response(body.stream).arrayBuffer().then((buffer) => read(new Uint8Array(buffer)))
  body.used = true
  try {
    return Promise.resolve(read(body.bytes))
  } catch (error) {
    return Promise.reject(asError(error))
  }
}

/** BufferedResponse: a Response whose body methods read the bytes it was made with. */
function defineBufferedResponse(): new (bytes: Uint8Array, init: ResponseInit) => Response {
  // The body methods are replaced on the prototype below rather than declared here: the platform's
  // types declare them as properties, so a class body could not override them.
  // The body in a private field, not in a WeakMap keyed by the response: an entry in a WeakMap costs
  // more than the rest of the Response it belongs to, made and collected on every fetch().
  class BufferedResponse extends Response {
    readonly #body: BufferedBody

    constructor(bytes: Uint8Array, init: ResponseInit) {
      super(null, init)
      this.#body = { bytes, stream: undefined, used: false }
    }

    static readonly bodyOf = (response: object): BufferedBody | undefined => (#body in response ? response.#body : undefined)
  }
  bodyField = BufferedResponse.bodyOf

  Object.defineProperties(BufferedResponse.prototype, {
    body: {
      get(this: Response): ReadableStream<Uint8Array> {
        const body = bodyOf(this)
        if (body.stream === undefined) {
          const { bytes } = body
          // Pulled, not started: the body counts as used only once something reads from it — or
          // cancels it. Its chunk is a copy: the bytes may be a view into a whole fetched batch.
          body.stream = new ReadableStream<Uint8Array>(
            {
              pull: (controller) => {
                body.used = true
                controller.enqueue(copyOf(bytes))
                controller.close()
              },
              cancel: () => {
                body.used = true
              },
            },
            { highWaterMark: 0 },
          )
          // Already read directly: the stream is a used one, locked as a Response's is after a read.
          if (body.used) lock(body.stream)
        }
        return body.stream
      },
    },
    bodyUsed: {
      get(this: Response): boolean {
        return bodyOf(this).used
      },
    },
    arrayBuffer: {
      value(this: Response): Promise<ArrayBuffer> {
        return take(this, (bytes) => copyOf(bytes).buffer)
      },
    },
    bytes: {
      value(this: Response): Promise<Uint8Array> {
        return take(this, (bytes) => copyOf(bytes))
      },
    },
    text: {
      value(this: Response): Promise<string> {
        return take(this, (bytes) => decoder.decode(bytes))
      },
    },
    json: {
      value(this: Response): Promise<unknown> {
        return take(this, (bytes) => JSON.parse(decoder.decode(bytes)) as unknown)
      },
    },
    blob: {
      value(this: Response): Promise<Blob> {
        const type = this.headers.get('content-type') ?? ''
        return take(this, (bytes) => new Blob([copyOf(bytes)], { type }))
      },
    },
    formData: {
      value(this: Response): Promise<FormData> {
        const init = { status: this.status, statusText: this.statusText, headers: this.headers }
        // Still part of Response, deprecated only in Node's types: a Response must have it.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        return take(this, (bytes) => bytes).then((bytes) => new Response(copyOf(bytes), init).formData())
      },
    },
    clone: {
      value(this: Response): Response {
        const body = bodyOf(this)
        if (body.used || body.stream?.locked === true) throw new TypeError('Response.clone: Body has already been consumed.')
        return new BufferedResponse(body.bytes, { status: this.status, statusText: this.statusText, headers: this.headers })
      },
    },
  })
  return BufferedResponse
}
