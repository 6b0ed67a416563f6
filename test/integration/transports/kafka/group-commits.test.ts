// Offsets of handled records are committed while a service runs — not only when it closes — with
// either group protocol: the classic one, whose commits wait out the member's rebalances
// (docs/decisions/0014-commits-wait-out-rebalances.md), and KIP-848's, where no join of the
// member's own ever opens or shuts that gate but the first. Read from the broker with an admin
// client, while the service still listens.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { event } from '../../../../src/core/contracts.ts'
import { definePolicy } from '../../../../src/core/policy.ts'
import { Service } from '../../../../src/core/service.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { waitUntil } from '../../../conformance/request-reply.ts'
import { uniqueName, useKafka } from '../../../support/kafka.ts'

const brokers = useKafka()
const tick = event('commits.tick')
const events = 20

describe('Kafka group commits while running', () => {
  let admin: Admin
  before(() => {
    admin = new Admin({ clientId: 'commit-probe', bootstrapBrokers: brokers() })
  })
  after(async () => {
    await admin.close()
  })

  async function committed(group: string): Promise<bigint> {
    const [found] = await admin.listConsumerGroupOffsets({ groups: [group] })
    return (found?.topics ?? []).flatMap(({ partitions }) => partitions).reduce((sum, { committedOffset }) => sum + (committedOffset > 0n ? committedOffset : 0n), 0n)
  }

  for (const groupProtocol of ['classic', 'consumer'] as const) {
    it(`commits what it handled within moments, the ${groupProtocol} protocol`, async () => {
      const policy = definePolicy({ prefix: uniqueName('commits'), partitions: 1 })
      const service = new Service({ name: 'ticker', policy, transport: kafkaTransport({ brokers: brokers(), tuning: { groupProtocol } }), ownsTransport: true })
      let handled = 0
      service.on(tick, () => {
        handled++
      })
      try {
        await service.listen()
        const [lag] = await service.lag()
        assert.ok(lag !== undefined, 'the service holds its event partition')
        for (let sent = 0; sent < events; sent++) await service.client.emit(tick)
        await waitUntil(() => handled === events, 'every event is handled')
        const deadline = Date.now() + 10_000
        let offset = await committed(lag.group)
        while (offset < BigInt(events) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          offset = await committed(lag.group)
        }
        assert.equal(offset, BigInt(events), `group ${lag.group} committed past every handled event while the service runs`)
      } finally {
        await service.close()
      }
    })
  }
})
