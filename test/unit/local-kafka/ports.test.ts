import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { describe, it } from 'node:test'
import { freePorts, isPortFree } from '../../../src/local-kafka/ports.ts'

describe('ports', () => {
  it('hands out distinct free ports and sees a taken one as taken', async () => {
    const ports = await freePorts('127.0.0.1', 6)
    assert.equal(new Set(ports).size, 6)
    const [port = 0] = ports
    assert.equal(await isPortFree('127.0.0.1', port), true)
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    try {
      assert.equal(await isPortFree('127.0.0.1', port), false)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
