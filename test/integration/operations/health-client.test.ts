// A client-only process (a gateway, a worker that only calls) is probed too: serveHealth opens its
// inbox, which a client otherwise opens on its first call, so it starts and is ready before it calls.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from '../../../src/core/client.ts'
import { serveHealth } from '../../../src/operations/index.ts'
import { MemoryBroker } from '../../../src/transports/memory/memory-broker.ts'
import { memoryTransport } from '../../../src/transports/memory/memory-transport.ts'

describe('health probes for a client', () => {
  it('start and become ready without a first call', async () => {
    const client = new Client({ name: 'gateway', transport: memoryTransport(new MemoryBroker()) })
    const probes = await serveHealth(client, { port: 0, host: '127.0.0.1' })
    try {
      let status = 0
      for (let tries = 0; tries < 50 && status !== 200; tries++) {
        status = (await fetch(`${probes.url}/readyz`)).status
        if (status !== 200) await sleep(20)
      }
      assert.equal(status, 200)
      assert.equal((await fetch(`${probes.url}/startupz`)).status, 200)
    } finally {
      await probes.close()
      await client.close()
    }
  })
})
