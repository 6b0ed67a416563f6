// Compression from the policy, on a real broker: records leave compressed with the chosen codec
// (checked in the record batch attributes a plain Fetch returns) and every kind of call still works.
import assert from 'node:assert/strict'
import { Consumer } from '@platformatic/kafka'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { Client } from '../../../../src/core/client.ts'
import { event, route, stream } from '../../../../src/core/contracts.ts'
import { type Compression, definePolicy } from '../../../../src/core/policy.ts'
import { topicNames } from '../../../../src/core/protocol/topic-names.ts'
import { Service } from '../../../../src/core/service.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../../support/kafka.ts'

const brokers = useKafka()

const echo = route('zipper', 'POST /echo', { body: z.object({ text: z.string() }), reply: z.object({ text: z.string() }) })
const count = stream('zipper', 'POST /count', { body: z.object({ to: z.number() }), item: z.object({ n: z.number() }) })
const noted = event('zipper.noted', { body: z.object({ text: z.string() }) })

/** Kafka's record batch attribute bits 0–2: the compression codec. */
const codecBits: Record<Compression, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }

/** The compression codes of the record batches in partition 0 of `topic`, read with a plain Fetch. */
async function batchCodecs(topic: string): Promise<number[]> {
  const consumer = new Consumer({ clientId: 'codec-reader', groupId: uniqueName('codec-reader'), bootstrapBrokers: brokers() })
  try {
    const described = (await consumer.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)
    assert.ok(described)
    const response = await consumer.fetch({
      node: described.partitions[0]?.leader ?? 0,
      topics: [{ topicId: described.id, partitions: [{ partition: 0, fetchOffset: 0n, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
    })
    return (response.responses[0]?.partitions[0]?.records ?? []).map((batch) => batch.attributes & 0x07)
  } finally {
    await consumer.close(true)
  }
}

describe('policy compression on Kafka', () => {
  for (const compression of ['zstd', 'lz4', 'gzip'] as const) {
    it(`sends ${compression}-compressed batches and still calls, streams and emits`, async () => {
      const policy = definePolicy({ prefix: uniqueName('zip'), partitions: 1, compression })
      const transport = kafkaTransport({ brokers: brokers() })
      const heard: string[] = []
      const service = new Service({ name: 'zipper', policy, transport })
        .handle(echo, (request) => request.body)
        .handle(count, async function* (request) {
          for (let n = 0; n < request.body.to; n++) {
            // Yield to the event loop now and then, as a real producer of items would.
            if (n % 100 === 0) await Promise.resolve()
            yield { n }
          }
        })
        .on(noted, (incoming) => {
          heard.push(incoming.body.text)
        })
      const client = new Client({ name: 'caller', policy, transport })
      try {
        await service.listen()
        const text = 'repetitive '.repeat(50)
        assert.deepEqual(await client.call(echo, { body: { text } }), { text })
        const items: number[] = []
        for await (const item of client.stream(count, { body: { to: 500 } })) items.push(item.n)
        assert.deepEqual(items, Array.from({ length: 500 }, (_, n) => n))
        await client.emit(noted, { text })
        for (let waited = 0; heard.length === 0 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
        assert.deepEqual(heard, [text])
        const codecs = await batchCodecs(topicNames.event(policy, noted.name))
        assert.ok(codecs.length > 0 && codecs.every((code) => code === codecBits[compression]), `batch codecs ${codecs.join(',')}`)
      } finally {
        await client.close()
        await service.close()
        await transport.close()
      }
    })
  }
})
