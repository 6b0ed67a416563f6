import { createServer } from 'node:net'

/** True when nothing listens on `host:port` and we may bind it. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => {
      resolve(false)
    })
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => {
        resolve(true)
      })
    })
  })
}

/**
 * `count` distinct ports the OS reports free right now. All are held open together before being
 * released, so the OS cannot hand out the same one twice.
 */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer()
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host, port: 0, exclusive: true }, () => {
          resolve(server)
        })
      })
    }),
  )
  const ports = servers.map((server) => {
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('listening socket has no port')
    return address.port
  })
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}
