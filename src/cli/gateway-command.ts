import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { getRequestListener } from '@hono/node-server'
import { Client } from '../core/client.ts'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { loadPolicy } from '../core/policy.ts'
import { addExposeFlag, Allowlist, type Expose } from '../http/gateway/allowlist.ts'
import { createGateway, type GatewayOptions } from '../http/gateway/gateway.ts'
import { kafkaTransport } from '../transports/kafka/kafka-transport.ts'
import type { CliOutput } from './kafka-command.ts'

/**
 * The help of `kafka-ipc gateway`.
 *
 * @example
 * ```ts
 * io.out(gatewayUsage)
 * ```
 */
export const gatewayUsage = `Usage: kafka-ipc gateway [options]

Serves HTTP and forwards <base-path>/<service>/<path>?<query> to the kafka-ipc services it exposes
(nothing unless told). Headers: x-timeout-ms, Idempotency-Key, Prefer: respond-async (docs/gateway.md).

Options:
  --expose SPEC        What to expose, repeatable: 'pricing=GET /quotes/:id', 'shop=*'
  --port N             Port to listen on (default 8080; 0 picks a free one)
  --host HOST          Address to listen on (default 127.0.0.1)
  --brokers LIST       Kafka bootstrap brokers, host:port[,host:port] (default $KAFKA_BROKERS)
  --base-path PATH     Serve under a path prefix, such as /api
  --max-body-bytes N   Largest request body accepted (default 1048576)
  --name NAME          The service name the gateway calls as (default gateway)
  --config FILE        JSON with any of: expose, port, host, brokers, basePath, maxBodyBytes, name, results
  -h, --help           Show this help

Flags override the config file; --expose adds to its expose. The fleet's policy comes from
$KAFKA_IPC_CONFIG and the KIPC_* variables, as for every service. SIGINT or SIGTERM stops it
gracefully: no new connections, in-flight requests get 10 s to finish.`

/** How long a shutdown waits for requests in flight before it ends them. */
const shutdownGraceMs = 10_000

/** Everything the gateway process is run with, from the config file and the flags. */
interface GatewaySettings {
  readonly port: number
  readonly host: string
  readonly brokers: readonly string[] | undefined
  readonly name: string
  readonly expose: Expose
  readonly basePath: string | undefined
  readonly maxBodyBytes: number | undefined
  readonly results: GatewayOptions['results']
}

const configKeys = new Set(['expose', 'port', 'host', 'brokers', 'basePath', 'maxBodyBytes', 'name', 'results'])

/**
 * `kafka-ipc gateway …`: serves until SIGINT or SIGTERM (or `stop`, for tests in-process), then
 * shuts down gracefully and returns the exit code.
 *
 * @example
 * ```ts
 * const code = await runGatewayCommand(['--expose', 'shop=*', '--port', '0'], { out: console.log, err: console.error })
 * ```
 */
export async function runGatewayCommand(argv: readonly string[], io: CliOutput, stop?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      expose: { type: 'string', multiple: true },
      port: { type: 'string' },
      host: { type: 'string' },
      brokers: { type: 'string' },
      'base-path': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      name: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    io.out(gatewayUsage)
    return 0
  }
  if (positionals.length > 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Unexpected argument "${positionals.join(' ')}". See kafka-ipc gateway --help.`)
  const settings = resolveSettings(values)
  const client = new Client({ name: settings.name, policy: loadPolicy(), transport: kafkaTransport(settings.brokers === undefined ? {} : { brokers: settings.brokers }), ownsTransport: true })
  let server: Server | undefined
  try {
    const gateway = createGateway({ client, expose: settings.expose, ...optional('basePath', settings.basePath), ...optional('maxBodyBytes', settings.maxBodyBytes), ...optional('results', settings.results) })
    // The inbox first: the broker is reached, and the first request pays nothing, before we say we listen.
    await client.ready()
    // The Web Request/Response conversion of @hono/node-server, without replacing this process's globals.
    const listener = getRequestListener(gateway, { overrideGlobalObjects: false })
    server = createServer((request, response) => {
      void listener(request, response)
    })
    const address = await listen(server, settings.port, settings.host)
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    io.out(`kafka-ipc gateway listening on http://${host}:${String(address.port)}${settings.basePath ?? ''} exposing ${new Allowlist(settings.expose).describe()}`)
    const signal = await stopRequested(stop)
    io.err(`kafka-ipc gateway: ${signal}, shutting down`)
  } finally {
    await shutDown(server, client)
  }
  return 0
}

/** Stops taking connections, lets requests in flight finish (up to the grace period), then ends the rest. */
async function shutDown(server: Server | undefined, client: Client): Promise<void> {
  if (server?.listening === true) {
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve()
      })
    })
    // A keep-alive connection turns idle when its request finishes: close it then, not at its timeout.
    const idle = setInterval(() => {
      server.closeIdleConnections()
    }, 50)
    await Promise.race([closed, sleep(shutdownGraceMs, undefined, { ref: false })])
    clearInterval(idle)
    // Whatever still runs (a long stream) ends with the client: its calls fail, its bodies close.
    await client.close()
    server.closeAllConnections()
    await closed
  }
  await client.close()
}

function stopRequested(stop: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    stop?.addEventListener('abort', () => {
      onSignal('SIGTERM')
    })
  })
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new KafkaIpcError('KIPC_PORT_IN_USE', `Port ${String(port)} on ${host} is already in use; choose another with --port.`, { cause: error }))
      else reject(new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Cannot listen on ${host}:${String(port)}: ${error.message}`, { cause: error }))
    })
    server.listen(port, host, () => {
      resolve(server.address() as AddressInfo)
    })
  })
}

type Flags = { readonly [Name in 'port' | 'host' | 'brokers' | 'base-path' | 'max-body-bytes' | 'name' | 'config']?: string | undefined } & { readonly expose?: string[] | undefined }

function resolveSettings(flags: Flags): GatewaySettings {
  const file = flags.config === undefined ? {} : readConfig(flags.config)
  let expose = (file['expose'] ?? {}) as Expose
  for (const flag of flags.expose ?? []) expose = addExposeFlag(expose, flag)
  if (Object.keys(expose).length === 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', "Nothing is exposed: add --expose 'service=*' or --expose 'service=METHOD /path' (or expose in --config).")
  const brokers = flags.brokers ?? file['brokers']
  return {
    port: integer('--port', flags.port ?? file['port'] ?? 8080, 0, 65_535),
    host: text('--host', flags.host ?? file['host'] ?? '127.0.0.1'),
    brokers: brokers === undefined ? undefined : brokerList(brokers),
    name: text('--name', flags.name ?? file['name'] ?? 'gateway'),
    expose,
    basePath: flags['base-path'] ?? (file['basePath'] === undefined ? undefined : text('basePath', file['basePath'])),
    maxBodyBytes: flags['max-body-bytes'] === undefined && file['maxBodyBytes'] === undefined ? undefined : integer('--max-body-bytes', flags['max-body-bytes'] ?? file['maxBodyBytes'], 1, Number.MAX_SAFE_INTEGER),
    results: file['results'] as GatewayOptions['results'],
  }
}

function readConfig(path: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `The gateway config ${path} cannot be read as JSON: ${(error as Error).message}`, { cause: error })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `The gateway config ${path} must hold a JSON object.`)
  const unknown = Object.keys(parsed).filter((key) => !configKeys.has(key))
  if (unknown.length > 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `The gateway config ${path} has unknown settings ${unknown.join(', ')}; known: ${[...configKeys].join(', ')}.`)
  return parsed as Record<string, unknown>
}

function integer(name: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${name} takes a whole number from ${String(min)} to ${String(max)}, got ${JSON.stringify(value)}.`)
  }
  return number
}

function brokerList(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',').map((broker) => broker.trim()) : value
  if (!Array.isArray(list) || list.length === 0 || !list.every((broker) => typeof broker === 'string' && broker !== '')) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `--brokers takes host:port[,host:port] (brokers in --config: a string or a list of strings), got ${JSON.stringify(value)}.`)
  }
  return list as string[]
}

function text(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${name} takes a non-empty string, got ${JSON.stringify(value)}.`)
  return value
}

function optional<Name extends string, Value>(name: Name, value: Value | undefined): { [N in Name]?: Value } {
  return (value === undefined ? {} : { [name]: value }) as { [N in Name]?: Value }
}
