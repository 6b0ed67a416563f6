// The bookings service over HTTP: `node server.ts` (PORT, default 3000).
import { buildApp } from './app.ts'

const app = buildApp()
const address = await app.listen({ port: Number(process.env['PORT'] ?? 3000), host: '127.0.0.1' })
console.log(`bookings listening on ${address}`)

process.once('SIGTERM', () => {
  void app.close()
})
