import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'

/**
 * A file a variable names, read now; the error (KIPC_INVALID_ARGUMENT) names the variable and the
 * path, never the content.
 *
 * @example
 * ```ts
 * const ca = readText('/etc/kafka/ca.pem', 'KAFKA_TLS_CA_FILE')
 * ```
 */
export function readText(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const reason = (error as { code?: unknown }).code
    throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${variable} names ${path}, which cannot be read (${typeof reason === 'string' ? reason : 'unreadable'}).`)
  }
}

/**
 * A secret kept in a mounted file (a password, a token), for a login that asks at each new
 * connection: the file is read now, so that a missing or empty one fails at start-up, and the
 * function returned reads it again each time, so that a secret rotated in place is picked up. A
 * mounted secret usually ends with a newline its writer added: the secret is the line before it.
 *
 * @example
 * ```ts
 * const password = rereadSecret('/run/secrets/kafka', 'KAFKA_SASL_PASSWORD_FILE')
 * await password() // 'S3cret'
 * ```
 */
export function rereadSecret(path: string, variable: string): () => Promise<string> {
  secretIn(readText(path, variable), path, variable)
  return async () => secretIn(await readFile(path, 'utf8'), path, variable)
}

function secretIn(text: string, path: string, variable: string): string {
  const secret = text.replace(/\r?\n$/, '')
  if (secret === '') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `${variable} names ${path}, which is empty.`)
  return secret
}
