import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { KnownTopics } from '../../../src/core/known-topics.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { topicMissing, type TopicSpec, type Transport } from '../../../src/core/transport.ts'

/** A transport whose ensureTopics answers from a set of existing topics, recording each ask. */
function brokerWith(existing: Set<string>): { transport: Transport; asked: { specs: readonly TopicSpec[]; create: boolean }[] } {
  const asked: { specs: readonly TopicSpec[]; create: boolean }[] = []
  const transport = {
    ensureTopics: (specs: readonly TopicSpec[], create: boolean) => {
      asked.push({ specs, create })
      const missing = specs.find((spec) => !existing.has(spec.name))
      if (missing === undefined) return Promise.resolve()
      if (!create) return Promise.reject(topicMissing(missing.name))
      existing.add(missing.name)
      return Promise.resolve()
    },
  } as unknown as Transport
  return { transport, asked }
}

const policy = definePolicy({ prefix: 'p', partitions: 4 })

describe('KnownTopics', () => {
  it('asks the broker once per topic, concurrent callers included, and knows the topic from then on', async () => {
    const { transport, asked } = brokerWith(new Set())
    const topics = new KnownTopics(transport, policy)
    assert.equal(topics.isKnown('p.event.x'), false)
    await Promise.all([topics.ensure('p.event.x', 1_000, true), topics.ensure('p.event.x', 1_000, true)])
    await topics.ensure('p.event.x', 1_000, true)
    assert.equal(asked.length, 1)
    assert.deepEqual(asked[0]?.specs, [{ name: 'p.event.x', partitions: 4, replication: -1, retentionMs: 1_000 }])
    assert.equal(topics.isKnown('p.event.x'), true)
  })

  it('never creates a request topic: a service that never listened is KIPC_UNKNOWN_SERVICE, asked again next time', async () => {
    const existing = new Set<string>()
    const { transport, asked } = brokerWith(existing)
    const topics = new KnownTopics(transport, policy)
    await assert.rejects(topics.ensureRequests('p.ghost.requests', 'ghost'), (error: unknown) => isKafkaIpcError(error, 'KIPC_UNKNOWN_SERVICE') && error.status === 404 && /No service named ghost/.test(error.message))
    assert.deepEqual(asked.map(({ create }) => create), [false])
    assert.equal(topics.isKnown('p.ghost.requests'), false)
    existing.add('p.ghost.requests')
    await topics.ensureRequests('p.ghost.requests', 'ghost')
    assert.equal(asked.length, 2, 'a failure is not remembered: the service may start later')
    assert.equal(topics.isKnown('p.ghost.requests'), true)
  })
})
