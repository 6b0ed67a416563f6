import { Buffer } from 'node:buffer'
/**
 * An unsigned OAUTHBEARER token (a JWS with `"alg":"none"`) for `principal`, valid for
 * `lifetimeSeconds`: what Kafka's unsecured validator — the default of an OAUTHBEARER listener with
 * no identity provider configured — takes, reading the principal from `sub`. For a local test
 * cluster only: anyone can make one for any principal.
 *
 * @example
 * ```ts
 * unsecuredToken('pricing', 3_600) // 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJwcmljaW5nIiwi….'
 * ```
 */
export function unsecuredToken(principal: string, lifetimeSeconds: number, now: number = Date.now()): string {
  const issued = Math.floor(now / 1_000)
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none' })}.${part({ sub: principal, iat: issued, exp: issued + lifetimeSeconds })}.`
}
