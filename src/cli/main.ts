import { readFileSync } from 'node:fs'
import { isKafkaIpcError } from '../core/kafka-ipc-error.ts'
import { type CliOutput, runKafkaCommand } from './kafka-command.ts'

const usage = `Usage: kafka-ipc <command>

Commands:
  kafka start|status|stop   Run a real Apache Kafka locally, without Docker (kafka-ipc kafka --help)
  gateway                   Serve HTTP and forward it to exposed kafka-ipc services (kafka-ipc gateway --help)
  docs <module>             Print an AsyncAPI document or a Markdown reference of a module's contracts (kafka-ipc docs --help)

Options:
  -v, --version   Print the kafka-ipc version
  -h, --help      Show this help`

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliOutput): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'kafka':
        return await runKafkaCommand(rest, io)
      case 'gateway': {
        // Loaded only when asked for: the other commands never load the HTTP server.
        const { runGatewayCommand } = await import('./gateway-command.ts')
        return await runGatewayCommand(rest, io)
      }
      case 'docs': {
        const { runDocsCommand } = await import('./docs-command.ts')
        return await runDocsCommand(rest, io)
      }
      case '-v':
      case '--version':
        io.out(packageVersion())
        return 0
      case '-h':
      case '--help':
        io.out(usage)
        return 0
      default:
        io.err(command === undefined ? usage : `Unknown command "${command}".\n\n${usage}`)
        return 2
    }
  } catch (error) {
    if (isKafkaIpcError(error)) {
      io.err(`error ${error.code}: ${error.message}`)
      return error.code === 'KIPC_INVALID_ARGUMENT' ? 2 : 1
    }
    if (error instanceof TypeError && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`error KIPC_INVALID_ARGUMENT: ${error.message}`)
      return 2
    }
    throw error
  }
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return manifest.version
}
