// One Metadata request for every topic of the cluster, written by hand on a plain socket: the
// client libraries parse the response away and never say how many bytes it was, and the size of
// "everything the cluster holds" is what grows with every inbox topic — every client that starts,
// refreshes its metadata or runs an inbox sweep lists all topics. Plaintext listeners only.
import { connect, type Socket } from 'node:net'

/** What one all-topics Metadata round trip cost. */
export interface MetadataReading {
  /** Round trip in ms: request written → last byte of the response read. */
  readonly ms: number
  /** The response's size in bytes, as the broker framed it. */
  readonly bytes: number
  /** Topics the response lists (internal ones included). */
  readonly topics: number
}

const metadataApiKey = 3
// Version 12: flexible (compact) encoding, a null topic list means "all topics"; Kafka 2.8–4.x speak it.
const metadataVersion = 12

/** Asks `broker` (`host:port`) for the metadata of all topics `times` times and reports each round trip. */
export async function readAllMetadata(broker: string, times: number): Promise<MetadataReading[]> {
  const [host = '127.0.0.1', port = '9092'] = broker.split(':')
  const socket = connect({ host, port: Number(port) })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  try {
    const readings: MetadataReading[] = []
    for (let correlation = 1; correlation <= times; correlation++) readings.push(await roundTrip(socket, correlation))
    return readings
  } finally {
    socket.destroy()
  }
}

function request(correlation: number): Buffer {
  const clientId = Buffer.from('kafka-ipc-bench')
  // Request header v2: api key, version, correlation id, client id (int16-prefixed), then no tagged fields.
  const header = Buffer.alloc(10)
  header.writeInt16BE(metadataApiKey, 0)
  header.writeInt16BE(metadataVersion, 2)
  header.writeInt32BE(correlation, 4)
  header.writeInt16BE(clientId.length, 8)
  // Body: topics = null (compact length 0: all topics), allow auto creation = false, include
  // authorized operations = false, no tagged fields.
  const body = Buffer.from([0, 0, 0, 0])
  const payload = Buffer.concat([header, clientId, Buffer.from([0]), body])
  const size = Buffer.alloc(4)
  size.writeInt32BE(payload.length, 0)
  return Buffer.concat([size, payload])
}

function roundTrip(socket: Socket, correlation: number): Promise<MetadataReading> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    let expected = -1
    const started = performance.now()
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk)
      received += chunk.length
      if (expected < 0 && received >= 4) expected = Buffer.concat(chunks).readInt32BE(0) + 4
      if (expected < 0 || received < expected) return
      const ms = performance.now() - started
      socket.off('data', onData)
      socket.off('error', reject)
      const response = Buffer.concat(chunks)
      if (response.readInt32BE(4) !== correlation) {
        reject(new Error(`Metadata response for correlation ${response.readInt32BE(4)}, expected ${correlation}.`))
        return
      }
      resolve({ ms, bytes: expected - 4, topics: topicCount(response) })
    }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.write(request(correlation))
  })
}

/** Reads the topic count of a Metadata v12 response: skips the header, throttle time, brokers, cluster id and controller. */
function topicCount(response: Buffer): number {
  let at = 8
  const varint = (): number => {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      const byte = response[at++] ?? 0
      value |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return value
    }
  }
  const skipTaggedFields = (): void => {
    for (let fields = varint(); fields > 0; fields--) {
      varint()
      at += varint()
    }
  }
  const skipCompactString = (): void => {
    const length = varint()
    if (length > 0) at += length - 1
  }
  skipTaggedFields() // response header v1
  at += 4 // throttle time
  for (let brokers = varint() - 1; brokers > 0; brokers--) {
    at += 4 // node id
    skipCompactString() // host
    at += 4 // port
    skipCompactString() // rack (nullable)
    skipTaggedFields()
  }
  skipCompactString() // cluster id
  at += 4 // controller id
  return varint() - 1
}
