import type { Buffer } from 'node:buffer'
import type { SASLOptions } from '@platformatic/kafka'
import { KafkaIpcError } from '../../core/kafka-ipc-error.ts'
import type { KafkaSaslTokenOptions } from './kafka-security-options.ts'

/** The variable naming a file that holds the OAUTHBEARER token, re-read at each new connection. */
export const tokenFileVariable = 'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'

/**
 * The client library's SASL settings for an OAUTHBEARER login from the `sasl` option: the token
 * (or the function asked for one at each connection), its extensions, and a check of the broker's
 * answer — a refused token is told apart from a protocol error.
 *
 * @example
 * ```ts
 * tokenLogin({ mechanism: 'OAUTHBEARER', token: () => fetchToken() }, 'the sasl option')
 * ```
 */
export function tokenLogin(sasl: KafkaSaslTokenOptions, where: string): SASLOptions {
  const { token, extensions } = sasl
  if (typeof token === 'string' ? token === '' : typeof token !== 'function') invalid(`${where} needs a token for OAUTHBEARER (a non-empty string, or a function returning one).`)
  if (extensions !== undefined) {
    for (const [key, value] of Object.entries(extensions)) {
      // RFC 7628 §3.1: keys are letters; neither may hold the \x01 that separates them on the wire.
      if (!/^[A-Za-z]+$/.test(key) || key === 'auth' || typeof value !== 'string' || value.includes('\x01')) invalid(`${where}'s extension ${JSON.stringify(key)} must have a name of letters (not "auth") and a string value without \\x01.`)
    }
  }
  return {
    mechanism: 'OAUTHBEARER',
    token: typeof token === 'string' ? token : async () => checkedToken(await token(), where),
    ...(extensions === undefined ? {} : { oauthBearerExtensions: { ...extensions } }),
    authBytesValidator: checkTokenAnswer,
  }
}

function checkedToken(token: unknown, where: string): string {
  if (typeof token !== 'string' || token === '') invalid(`${where}'s token function returned ${typeof token === 'string' ? 'an empty string' : typeof token}, not a token.`)
  return token
}

/**
 * The broker's answer to an OAUTHBEARER login: nothing when it took the token; a JSON error
 * (RFC 7628 §3.2.2: `{"status":"invalid_token",…}`) when it refused it. Without this check the
 * client library reads the refusal as success and its next request is turned away as a SASL state
 * error, which says nothing of the token.
 */
function checkTokenAnswer(authBytes: Buffer, callback: (error: Error | null, bytes: Buffer) => void): void {
  if (authBytes.length === 0) {
    callback(null, authBytes)
    return
  }
  let status = 'refused'
  try {
    const answer = JSON.parse(authBytes.toString('utf8')) as unknown
    if (typeof answer === 'object' && answer !== null && typeof (answer as { status?: unknown }).status === 'string') status = (answer as { status: string }).status.slice(0, 64)
  } catch {
    // Not JSON: refused all the same.
  }
  callback(Object.assign(new Error(`the broker refused the OAUTHBEARER token (${status})`), { tokenStatus: status }), authBytes)
}

function invalid(message: string): never {
  throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', message)
}
