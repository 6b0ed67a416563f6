// The group session on a real broker: kafka-ipc's 3 s default is accepted where the broker allows
// it (LocalKafka lowers group.min.session.timeout.ms to 1 s), and a session the broker refuses is
// not a failed start: the subscription joins with the broker's default minimum, 6 s, and says so.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { definePolicy } from '../../../../src/core/policy.ts'
import { Service } from '../../../../src/core/service.ts'
import { event } from '../../../../src/core/contracts.ts'
import { kafkaTransport } from '../../../../src/transports/kafka/kafka-transport.ts'
import { waitUntil } from '../../../conformance/request-reply.ts'
import { uniqueName, useKafka } from '../../../support/kafka.ts'

const brokers = useKafka()
const ping = event('session.ping')

describe('Kafka group session timeout', () => {
  for (const [sessionTimeout, fallsBack] of [[3_000, false], [500, true]] as const) {
    it(`${fallsBack ? 'falls back to 6 s when the broker refuses' : 'joins with'} a ${String(sessionTimeout)} ms session`, async () => {
      const lines: string[] = []
      const logger = { info: (_: object, message: string) => lines.push(message), warn: (_: object, message: string) => lines.push(message), error: (_: object, message: string) => lines.push(message) }
      const policy = definePolicy({ prefix: uniqueName('session'), partitions: 1 })
      const service = new Service({ name: 'listener', policy, transport: kafkaTransport({ brokers: brokers(), logger, tuning: { sessionTimeout, heartbeatInterval: 250 } }), ownsTransport: true })
      let heard = 0
      service.on(ping, () => {
        heard++
      })
      try {
        await service.listen()
        await service.client.emit(ping)
        await waitUntil(() => heard === 1, 'the event is consumed')
        const fallback = lines.filter((line) => line.includes('group.min.session.timeout.ms'))
        assert.equal(fallback.length, fallsBack ? 1 : 0, lines.join('\n'))
        if (fallsBack) assert.match(fallback[0] ?? '', /refuses a 500 ms session .* joining with 6000 ms/)
      } finally {
        await service.close()
      }
    })
  }
})
