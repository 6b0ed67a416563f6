// Writes compression bombs as any Kafka client could — @platformatic/kafka's own Producer, one
// record batch per bomb, compressed with the codec given — from a process of its own, so that the
// test process measures only what consuming them costs. $BOMBS is a JSON list of Bomb; prints
// `written` once the broker has them all.
import { Producer } from '@platformatic/kafka'

/** One record batch: `records` records of `bytes / records` zero bytes each, with the headers given. */
export interface Bomb {
  readonly topic: string
  readonly partition: number
  readonly compression: 'gzip' | 'snappy' | 'lz4' | 'zstd'
  readonly bytes: number
  readonly records: number
  readonly headers: Readonly<Record<string, string>>
}

const bombs = JSON.parse(process.env['BOMBS'] ?? '[]') as Bomb[]
const producer = new Producer<undefined, Buffer, string, string>({
  clientId: 'bomb-writer',
  bootstrapBrokers: (process.env['KAFKA_BROKERS'] ?? '').split(','),
  serializers: {
    key: () => undefined,
    value: (value?: Buffer) => value,
    headerKey: (name?: string) => (name === undefined ? undefined : Buffer.from(name)),
    headerValue: (value?: string) => (value === undefined ? undefined : Buffer.from(value)),
  },
})
try {
  for (const bomb of bombs) {
    const value = Buffer.alloc(Math.floor(bomb.bytes / bomb.records))
    const headers = new Map(Object.entries(bomb.headers))
    await producer.send({
      compression: bomb.compression,
      messages: Array.from({ length: bomb.records }, () => ({ topic: bomb.topic, partition: bomb.partition, value, headers })),
    })
  }
  process.stdout.write('written\n')
} finally {
  await producer.close()
}
