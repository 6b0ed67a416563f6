import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { nodePaths, renderLog4j1Properties, renderLog4jProperties, renderServerProperties } from '../../../src/local-kafka/broker-config.ts'
import { bootstrapOf, type ClusterLayout, isClusterLayout, newClusterId } from '../../../src/local-kafka/cluster-layout.ts'
import { findJarVersion, loggingArtifacts } from '../../../src/local-kafka/kafka-distribution.ts'

function layoutOf(size: number): ClusterLayout {
  return {
    clusterId: newClusterId(),
    kafkaVersion: '4.2.1',
    host: '127.0.0.1',
    nodes: Array.from({ length: size }, (_, i) => ({ id: i + 1, brokerPort: 9092 + i, controllerPort: 19092 + i })),
  }
}

function parse(properties: string): Map<string, string> {
  return new Map(properties.trim().split('\n').map((line) => line.split('=', 2) as [string, string]))
}

describe('renderServerProperties', () => {
  it('runs a single node as broker and controller with replication factor 1', () => {
    const layout = layoutOf(1)
    const node = layout.nodes[0]
    assert.ok(node)
    const props = parse(renderServerProperties(layout, node, nodePaths('/data', 1)))
    assert.equal(props.get('process.roles'), 'broker,controller')
    assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19092')
    assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19092')
    assert.equal(props.get('default.replication.factor'), '1')
    assert.equal(props.get('offsets.topic.replication.factor'), '1')
    assert.equal(props.get('min.insync.replicas'), '1')
    assert.equal(props.get('group.initial.rebalance.delay.ms'), '0')
    assert.equal(props.get('log.dirs'), '/data/node-1/data')
  })

  it('gives a 3-node cluster replication factor 3 and min.insync.replicas 2', () => {
    const layout = layoutOf(3)
    const node = layout.nodes[1]
    assert.ok(node)
    const props = parse(renderServerProperties(layout, node, nodePaths('/data', 2)))
    assert.equal(props.get('node.id'), '2')
    assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19092,2@127.0.0.1:19093,3@127.0.0.1:19094')
    assert.equal(props.get('default.replication.factor'), '3')
    assert.equal(props.get('offsets.topic.replication.factor'), '3')
    assert.equal(props.get('transaction.state.log.min.isr'), '2')
    assert.equal(props.get('min.insync.replicas'), '2')
    assert.equal(props.get('unclean.leader.election.enable'), 'false')
    assert.equal(bootstrapOf(layout), '127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094')
  })
})

describe('cluster layout', () => {
  it('draws 22-character base64url cluster ids that never start with a dash', () => {
    for (let i = 0; i < 2000; i++) {
      const id = newClusterId()
      assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
    }
  })

  it('rejects a layout file that was edited into another shape', () => {
    assert.equal(isClusterLayout(layoutOf(3)), true)
    assert.equal(isClusterLayout({ clusterId: 'x', kafkaVersion: '4.2.1', host: '127.0.0.1', nodes: [{ id: '1' }] }), false)
    assert.equal(isClusterLayout(null), false)
  })
})

describe('findJarVersion', () => {
  it('finds an artifact version among jar names without confusing similar names', () => {
    const jars = ['log4j-api-2.25.4.jar', 'log4j-core-2.25.4.jar', 'slf4j-api-1.7.36.jar', 'kafka-clients-4.2.1.jar']
    assert.equal(findJarVersion(jars, 'slf4j-api'), '1.7.36')
    assert.equal(findJarVersion(jars, 'log4j-api'), '2.25.4')
    assert.equal(findJarVersion(jars, 'kafka'), undefined)
  })
})

describe('loggingArtifacts', () => {
  it('bridges Kafka 4 to the log4j2 it brings, and gives Kafka 3 the reload4j its own distribution ships', () => {
    assert.deepEqual(loggingArtifacts('1.7.36', '2.25.4'), ['org.apache.logging.log4j:log4j-slf4j-impl:2.25.4'])
    assert.deepEqual(loggingArtifacts('2.0.17', '2.25.4'), ['org.apache.logging.log4j:log4j-slf4j2-impl:2.25.4'])
    assert.deepEqual(loggingArtifacts('1.7.36', undefined), ['org.slf4j:slf4j-reload4j:1.7.36', 'ch.qos.reload4j:reload4j:1.2.25'])
  })
})

describe('log configuration', () => {
  it('writes the node log to the same file under log4j2 and log4j 1', () => {
    const paths = nodePaths('/data', 1)
    assert.match(renderLog4jProperties(paths), new RegExp(`fileName = ${paths.serverLog}\n`))
    assert.match(renderLog4j1Properties(paths), new RegExp(`File=${paths.serverLog}\n`))
    assert.notEqual(paths.log4jProperties, paths.log4j1Properties)
  })
})
