import { randomBytes } from 'node:crypto'

/**
 * `bytes` random bytes in base64url that never start with '-': such a token, passed to Kafka's and
 * the JDK's command-line tools, would read as a flag — keytool's launcher takes `-J<x>` as an
 * option for the JVM, so a password drawn as `-JNAAK…` made the JVM look for a main class named
 * `NAAK…`, once in 4,096 draws. Drawn again when it does.
 *
 * @example
 * ```ts
 * flagSafeToken(18) // 'q3Vx…' (24 characters)
 * ```
 */
export function flagSafeToken(bytes: number): string {
  for (;;) {
    const token = randomBytes(bytes).toString('base64url')
    if (!token.startsWith('-')) return token
  }
}
