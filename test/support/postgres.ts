// A throwaway PostgreSQL server for tests: initdb in a temporary folder, started on a free loopback
// port, stopped and deleted by stop(). It uses the Debian packages' binaries (postgresql-15 or any
// other version under /usr/lib/postgresql), found on PATH first. PostgreSQL refuses to run as
// root: as root, it runs as the `postgres` user the package creates.
import { execFile } from 'node:child_process'
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A running server: `url` for a client, `stop()` to end it. */
export interface TestPostgres {
  readonly url: string
  readonly port: number
  stop(): Promise<void>
}

/** The folder with initdb and pg_ctl: the one on PATH, else the newest Debian install. */
export async function postgresBinaries(): Promise<string | undefined> {
  for (const folder of (process.env['PATH'] ?? '').split(':')) if (folder !== '' && existsSync(join(folder, 'initdb')) && existsSync(join(folder, 'pg_ctl'))) return folder
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[])
  const newest = versions.filter((name) => existsSync(join('/usr/lib/postgresql', name, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))[0]
  return newest === undefined ? undefined : join('/usr/lib/postgresql', newest, 'bin')
}

/** Starts a server; throws when no PostgreSQL binaries are installed. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = await postgresBinaries()
  if (bin === undefined) throw new Error('PostgreSQL is not installed: .ci/run installs the Debian package postgresql')
  const dir = await mkdtemp(join(tmpdir(), 'kipc-pg-'))
  const data = join(dir, 'data')
  const port = await freePort()
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout.trim()), Number(gid.trim()))
    await chmod(dir, 0o700)
  }
  const as = (command: string, args: string[]): Promise<unknown> => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args))
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'])
  // Sockets in the private folder, TCP on loopback only; fsync off: a test server keeps nothing.
  await as('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${String(port)} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`, 'start'])
  return {
    url: `postgres://postgres@127.0.0.1:${String(port)}/postgres`,
    port,
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0)
      })
    })
  })
}
