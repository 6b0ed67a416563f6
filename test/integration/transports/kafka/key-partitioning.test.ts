// Records with the same key land where Kafka's Java client puts them (murmur2, positive, modulo
// the partition count), so per-key order holds across kafka-ipc and any Java, librdkafka
// (murmur2_random) or Kafka Streams producer writing the same topic. The Java side is the real
// kafka-clients jar of the local broker, run by the JVM the broker runs on.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { ensureKafkaDistribution } from '../../../../src/local-kafka/kafka-distribution.ts'
import { findJava } from '../../../../src/local-kafka/toolchain.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { waitUntil } from '../../../conformance/request-reply.ts'
import { uniqueName, useKafka } from '../../../support/kafka.ts'

const run = promisify(execFile)
const brokers = useKafka()
const partitions = 7

const javaProgram = `
import org.apache.kafka.common.utils.Utils;
import java.io.*;
import java.nio.charset.StandardCharsets;

public class KeyPartitions {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int partitions = Integer.parseInt(args[0]);
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      System.out.println(Utils.toPositive(Utils.murmur2(line.getBytes(StandardCharsets.UTF_8))) % partitions);
    }
  }
}
`

/** Keys of many shapes: short, long, digits, non-ASCII, one to four UTF-8 bytes per character. */
function sampleKeys(): string[] {
  const keys = ['a', 'abc', '21', 'foobar', 'a-little-bit-long-string', 'zażółć gęślą jaźń', '東京', '🚀 launch', 'B'.repeat(300)]
  for (let index = 0; index < 200; index++) keys.push(`order-${index}`, `${index * 7919}`)
  return keys
}

describe('key partitioning', () => {
  it("puts every key in the partition the Java client would choose", { timeout: 120_000 }, async () => {
    const keys = sampleKeys()
    const folder = await mkdtemp(join(tmpdir(), 'kipc-partitions-'))
    const transport = kafkaTransport({ brokers: brokers() })
    try {
      const [java, distribution] = await Promise.all([findJava(), ensureKafkaDistribution()])
      await writeFile(join(folder, 'KeyPartitions.java'), javaProgram)
      const child = run(java.executable, ['-cp', distribution.classpath, join(folder, 'KeyPartitions.java'), String(partitions)], { timeout: 60_000 })
      child.child.stdin?.end(`${keys.join('\n')}\n`)
      const javaPartitions = (await child).stdout.trim().split('\n').map(Number)
      assert.equal(javaPartitions.length, keys.length)

      const topic = uniqueName('partitioning')
      await transport.ensureTopics([{ name: topic, partitions, replication: -1, retentionMs: 60_000 }], true)
      await transport.send(keys.map((key) => ({ topic, key, headers: new Map(), value: new Uint8Array() })))
      const landed = new Map<string, number>()
      const subscription = await transport.subscribe({
        group: uniqueName('partitioning'),
        topics: [topic],
        startFrom: 'earliest',
        maxInFlight: 64,
        onError: () => undefined,
        onMessage: (message) => {
          landed.set(message.key ?? '', message.partition)
          return Promise.resolve()
        },
      })
      try {
        await waitUntil(() => landed.size === keys.length, 'every key was read back', 30_000)
      } finally {
        await subscription.close()
      }
      const differing = keys.filter((key, index) => landed.get(key) !== javaPartitions[index]).map((key) => `${key.slice(0, 20)}: kafka-ipc ${landed.get(key)}, Java ${javaPartitions[keys.indexOf(key)]}`)
      assert.deepEqual(differing, [])
      assert.ok(new Set(javaPartitions).size === partitions, 'the sample reaches every partition')
    } finally {
      await transport.close()
      await rm(folder, { recursive: true, force: true })
    }
  })
})
