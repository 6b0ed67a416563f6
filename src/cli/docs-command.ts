import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { loadPolicy } from '../core/policy.ts'
import { asyncApiDocument } from '../docs/asyncapi-document.ts'
import { contractsIn } from '../docs/contracts-in-module.ts'
import { markdownReference } from '../docs/markdown-reference.ts'
import type { CliOutput } from './kafka-command.ts'

/**
 * The help of `kafka-ipc docs`.
 *
 * @example
 * ```ts
 * io.out(docsUsage)
 * ```
 */
export const docsUsage = `Usage: kafka-ipc docs <module> [options]

Prints the documents of the contracts a module exports (route, stream, event, gather — each
exported contract, and those in an exported array or object): an AsyncAPI 3.0 document, or a
Markdown reference. Topics are named by the fleet's policy ($KAFKA_IPC_CONFIG, KIPC_PREFIX).

Options:
  --format F       asyncapi (JSON, default) or markdown
  --title T        The document's title (default: kafka-ipc contracts)
  --version V      The contracts' version (default 0.0.0)
  --prefix P       The topic prefix, instead of the policy's
  -h, --help       Show this help`

/** `kafka-ipc docs …`: returns the process exit code. */
export async function runDocsCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'asyncapi' },
      title: { type: 'string' },
      version: { type: 'string' },
      prefix: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const [module, ...extra] = positionals
  if (values.help || module === undefined) {
    io.out(docsUsage)
    return module === undefined && !values.help ? 2 : 0
  }
  if (extra.length > 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Unexpected argument "${extra.join(' ')}": give one module. See kafka-ipc docs --help.`)
  if (values.format !== 'asyncapi' && values.format !== 'markdown') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `--format must be asyncapi or markdown, got ${JSON.stringify(values.format)}.`)
  const contracts = contractsIn(await load(module))
  if (contracts.length === 0) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${module} exports no contract (route, stream, event or gather), directly or in an exported array or object.`)
  // The flag wins over the file and the environment, as a variable does over the file.
  const policy = loadPolicy(values.prefix === undefined ? {} : { env: { ...process.env, KIPC_PREFIX: values.prefix } })
  const options = { policy, ...(values.title === undefined ? {} : { title: values.title }), ...(values.version === undefined ? {} : { version: values.version }) }
  io.out(values.format === 'markdown' ? markdownReference(contracts, options).trimEnd() : JSON.stringify(asyncApiDocument(contracts, options), null, 2))
  return 0
}

/** The module's exports; a module that cannot be loaded is named with the reason. */
async function load(module: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(resolve(module)).href)) as Record<string, unknown>
  } catch (error) {
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Cannot load ${module}: ${error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)}`, { cause: error })
  }
}
