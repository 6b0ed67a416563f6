// The bookings service over Kafka and HTTP at once: `node server.ts` (PORT, default 3000; KAFKA_BROKERS).
import { createService } from 'kafka-ipc'
import { fromFastify } from 'kafka-ipc/adapters'
import { buildApp } from './app.ts'

const app = buildApp()
const address = await app.listen({ port: Number(process.env['PORT'] ?? 3000), host: '127.0.0.1' })
const service = createService({ name: 'bookings' }).mount(fromFastify(app))
await service.listen()
console.log(`bookings listening on ${address} and on Kafka`)

process.once('SIGTERM', () => {
  void service.close().then(() => app.close())
})
