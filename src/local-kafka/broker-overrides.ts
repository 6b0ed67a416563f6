import { KafkaIpcError } from '../core/kafka-ipc-error.ts'

/** Settings that make the cluster what it is — its nodes, listeners and folders: not overridable. */
const structural = new Set(['process.roles', 'node.id', 'controller.quorum.voters', 'listeners', 'advertised.listeners', 'controller.listener.names', 'inter.broker.listener.name', 'listener.security.protocol.map', 'log.dirs'])

/**
 * Checks broker settings given to {@link LocalKafka.start} (`brokerConfig`) and renders them as
 * server.properties values: names of lowercase words and dots, values without line breaks (a
 * value with one could add settings of its own), none of the settings that define the cluster.
 *
 * @example
 * ```ts
 * brokerOverrides({ 'group.min.session.timeout.ms': 1_000 }) // { 'group.min.session.timeout.ms': '1000' }
 * ```
 */
export function brokerOverrides(config: Readonly<Record<string, string | number | boolean>> | undefined): Readonly<Record<string, string>> {
  const rendered: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [name, value] of Object.entries(config ?? {})) {
    if (!/^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/.test(name)) throw invalid(`brokerConfig: ${JSON.stringify(name)} is not a broker setting name`)
    if (structural.has(name)) throw invalid(`brokerConfig: ${name} is set by LocalKafka itself (nodes, listeners, folders) and cannot be overridden`)
    const text = String(value)
    if (!['string', 'number', 'boolean'].includes(typeof value) || /[\r\n\\]/.test(text)) throw invalid(`brokerConfig: the value of ${name} must be a string, number or boolean on one line without backslashes`)
    rendered[name] = text
  }
  return rendered
}

function invalid(message: string): KafkaIpcError {
  return new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${message}.`)
}
