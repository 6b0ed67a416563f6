import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { nodePaths, renderServerProperties } from '../../../src/local-kafka/broker-config.ts'
import { brokerOverrides } from '../../../src/local-kafka/broker-overrides.ts'

describe('brokerOverrides', () => {
  it('renders settings as server.properties values that win over the defaults', () => {
    const overrides = brokerOverrides({ 'group.min.session.timeout.ms': 1_000, 'auto.create.topics.enable': false, 'group.initial.rebalance.delay.ms': '3000' })
    assert.deepEqual({ ...overrides }, { 'group.min.session.timeout.ms': '1000', 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '3000' })
    const layout = { clusterId: 'c', kafkaVersion: '4.1.1', host: '127.0.0.1', nodes: [{ id: 1, brokerPort: 9092, controllerPort: 9093 }] }
    const lines = renderServerProperties(layout, layout.nodes[0] ?? assert.fail(), nodePaths('/data', 1), overrides).split('\n')
    assert.ok(lines.includes('group.min.session.timeout.ms=1000'))
    assert.ok(lines.includes('group.initial.rebalance.delay.ms=3000'))
    assert.ok(!lines.includes('group.initial.rebalance.delay.ms=0'))
  })

  it('refuses names that are not settings, the settings that define the cluster, and values that could add lines', () => {
    for (const bad of [{ 'x=1\ny': 1 }, { 'node.id': 5 }, { listeners: 'PLAINTEXT://0.0.0.0:1' }, { 'log.retention.ms': '1\nnode.id=9' }, { 'a.b': 'x\\' }, { 'a.b': {} as unknown as string }]) {
      assert.throws(() => brokerOverrides(bad), (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'), JSON.stringify(bad))
    }
    assert.deepEqual({ ...brokerOverrides(undefined) }, {})
  })
})
