import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { cacheDir } from '../local-kafka/cache-dir.ts'
import { LocalKafka } from '../local-kafka/local-kafka.ts'
import { liveBrokerIds } from '../local-kafka/readiness.ts'

/** Text the CLI writes: `out` for results, `err` for progress and problems. */
export interface CliOutput {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
}

export const kafkaUsage = `Usage: kafka-ipc kafka <command> [options]

Runs a real Apache Kafka on this machine from the Maven Central jars (Java 17+ and Maven needed; no Docker).

Commands:
  start    Start a cluster in the background and wait until it serves clients
  status   Show each node's pid, memory and whether the cluster answers
  stop     Stop the cluster; no process and no lock file stay behind

Options:
  --nodes N        Nodes in the cluster (start; default 1). 3 gives replication factor 3, min.insync.replicas 2
  --port N         Port of the first broker; node i uses N+i-1 (start; default 9092)
  --data DIR       Folder for data, config and logs (default ${join(cacheDir(), 'local-kafka')})
  --kafka-version  Apache Kafka release to run (start; default 4.2.1)
  --sasl           Require SASL/SCRAM-SHA-512 from clients; user admin, password in DIR/security/admin.password (start, first time)
  --oauthbearer    Require SASL/OAUTHBEARER instead: unsigned test tokens, the principal in 'sub'; a day's token for admin in DIR/security/admin.token (start, first time)
  --tls            Serve clients over TLS, with a CA made for the cluster in DIR/security/ca.pem (start, first time)
  --json           Print status as JSON
  -h, --help       Show this help`

const defaultPort = 9092
const lookElsewhere = ' (--data DIR looks in another folder).'

/** `kafka-ipc kafka …`: returns the process exit code. */
export async function runKafkaCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      'kafka-version': { type: 'string' },
      sasl: { type: 'boolean' },
      oauthbearer: { type: 'boolean' },
      tls: { type: 'boolean' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const [command, ...extra] = positionals
  if (values.help || command === undefined) {
    io.out(kafkaUsage)
    return command === undefined && !values.help ? 2 : 0
  }
  if (extra.length > 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Unexpected argument "${extra.join(' ')}". See kafka-ipc kafka --help.`)
  const dataDir = values.data ?? join(cacheDir(), 'local-kafka')
  switch (command) {
    case 'start':
      return start(dataDir, values, io)
    case 'status':
      return status(dataDir, values.json, io)
    case 'stop':
      return stop(dataDir, io)
    default:
      throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Unknown command "kafka ${command}". Commands: start, status, stop.`)
  }
}

async function start(
  dataDir: string,
  values: { nodes?: string | undefined; port?: string | undefined; data?: string | undefined; 'kafka-version'?: string | undefined; sasl?: boolean | undefined; oauthbearer?: boolean | undefined; tls?: boolean | undefined },
  io: CliOutput,
): Promise<number> {
  const explicitNodes = parseInteger('--nodes', values.nodes)
  const nodes = explicitNodes ?? 1
  const explicitPort = parseInteger('--port', values.port)
  const kafkaVersion = values['kafka-version']
  if (values.sasl === true && values.oauthbearer === true) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', 'Give --sasl (SCRAM) or --oauthbearer (tokens), not both.')
  const mechanism = values.oauthbearer === true ? 'OAUTHBEARER' : values.sasl === true ? 'SCRAM-SHA-512' : false
  const secured = mechanism !== false || values.tls === true
  const protocol = mechanism !== false ? (values.tls === true ? 'SASL_SSL' : 'SASL_PLAINTEXT') : 'SSL'
  const running = await LocalKafka.attach(dataDir)
  if (running !== undefined) {
    // Asked for something other than what runs: say so and fail, rather than hand back a cluster
    // the caller did not ask for.
    const firstPort = Number(running.brokers[0]?.split(':').at(-1))
    const conflicts = [
      ...(explicitNodes !== undefined && explicitNodes !== running.nodeIds.length ? [`${running.nodeIds.length} node(s), not ${explicitNodes}`] : []),
      ...(explicitPort !== undefined && explicitPort !== firstPort ? [`port ${firstPort}, not ${explicitPort}`] : []),
      ...(kafkaVersion !== undefined && kafkaVersion !== running.kafkaVersion ? [`Kafka ${running.kafkaVersion}, not ${kafkaVersion}`] : []),
      ...(secured && running.security?.protocol !== protocol ? [`${running.security?.protocol ?? 'PLAINTEXT'}, not ${protocol}`] : []),
      ...(mechanism !== false && running.security?.mechanism !== undefined && running.security.mechanism !== mechanism ? [`SASL ${running.security.mechanism}, not ${mechanism}`] : []),
    ]
    if (conflicts.length > 0) {
      io.err(`A local Kafka is already running from ${dataDir} with ${conflicts.join(', ')}. Stop it first (kafka-ipc kafka stop${values.data === undefined ? '' : ` --data ${dataDir}`}), or start another with --data DIR and a free --port.`)
      return 1
    }
    io.err(`Kafka is already running from ${dataDir}.`)
    io.out(running.bootstrap)
    return 0
  }
  const kafka = await LocalKafka.start({
    nodes,
    dataDir,
    detached: true,
    log: io.err,
    // A fresh folder gets the conventional port; an existing one keeps the ports it was made with.
    ...(explicitPort !== undefined ? { port: explicitPort } : (await LocalKafka.hasLayout(dataDir)) ? {} : { port: defaultPort }),
    ...(kafkaVersion === undefined ? {} : { kafkaVersion }),
    ...(secured ? { security: { sasl: mechanism, tls: values.tls === true } } : {}),
  })
  io.err(`Kafka ${kafka.kafkaVersion} ready in ${kafka.readyInMs} ms with ${nodes} node(s)${kafka.security === undefined ? '' : ` on a ${kafka.security.protocol} listener`}; data and logs in ${dataDir}.`)
  // The admin password, or token, travels as a file name, so it is never printed.
  io.err(`Use it with: export ${Object.entries(kafka.environment()).map(([name, value]) => `${name}=${value}`).join(' ')}`)
  io.out(kafka.bootstrap)
  return 0
}

async function status(dataDir: string, json: boolean, io: CliOutput): Promise<number> {
  const kafka = await LocalKafka.attach(dataDir)
  if (kafka === undefined) {
    if (json) io.out(JSON.stringify({ running: false, dataDir }))
    else io.out(`No local Kafka is running from ${dataDir}${lookElsewhere}`)
    return 3
  }
  const nodes = await kafka.status()
  const { sasl, tls } = kafka.connection()
  const asAdmin = { ...(sasl === undefined ? {} : { sasl }), ...(tls === undefined ? {} : { tls }) }
  const answering = await Promise.all(nodes.map(async (node) => (node.running ? (await liveBrokerIds(node.address, 2_000, asAdmin)) !== undefined : false)))
  const protocol = kafka.security?.protocol ?? 'PLAINTEXT'
  if (json) {
    io.out(JSON.stringify({ running: true, dataDir, bootstrap: kafka.bootstrap, protocol, kafkaVersion: kafka.kafkaVersion, nodes: nodes.map((node, index) => ({ ...node, serving: answering[index] })) }, null, 2))
    return 0
  }
  io.out(`Kafka ${kafka.kafkaVersion} at ${kafka.bootstrap}${protocol === 'PLAINTEXT' ? '' : ` (${protocol})`} (data folder: ${dataDir})`)
  io.out(['node', 'address'.padEnd(21), 'pid'.padStart(8), 'state'.padEnd(11), 'RSS MiB'.padStart(8)].join('  '))
  nodes.forEach((node, index) => {
    const state = !node.running ? 'down' : answering[index] === true ? 'serving' : 'starting'
    const rss = node.residentBytes === undefined ? '-' : (node.residentBytes / 2 ** 20).toFixed(0)
    io.out([String(node.id).padEnd(4), node.address.padEnd(21), String(node.pid ?? '-').padStart(8), state.padEnd(11), rss.padStart(8)].join('  '))
  })
  return 0
}

async function stop(dataDir: string, io: CliOutput): Promise<number> {
  const kafka = await LocalKafka.attach(dataDir)
  if (kafka === undefined) {
    io.err(`No local Kafka is running from ${dataDir}; nothing to stop${lookElsewhere}`)
    return 0
  }
  await kafka.stop()
  io.err(`Stopped the local Kafka at ${kafka.bootstrap}.`)
  return 0
}

function parseInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${flag} takes a whole number, got "${value}".`)
  return Number(value)
}
