import { Buffer } from 'node:buffer'
import type { DeduplicationClaim, DeduplicationStore, StoredAnswer } from '../core/deduplication-store.ts'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'

/**
 * What the PostgreSQL store needs of a client: `query(text, values)` resolving to rows — the shape
 * of a `pg` Pool (node-postgres), so kafka-ipc itself depends on no driver.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * const pool: SqlQueryable = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * ```
 */
export interface SqlQueryable {
  query(text: string, values?: unknown[]): Promise<{ readonly rows: readonly unknown[] }>
}

/**
 * Options of {@link postgresDeduplicationStore}.
 *
 * @example
 * ```ts
 * postgresDeduplicationStore({ pool, table: 'billing.kafka_ipc_runs', windowMs: 86_400_000 })
 * ```
 */
export interface PostgresDeduplicationOptions {
  /** A `pg` Pool, or anything with its `query(text, values)`. */
  readonly pool: SqlQueryable
  /** The table, created on first use: `name` or `schema.name` of `[a-z_][a-z0-9_]*`. Default `kafka_ipc_deduplication`. */
  readonly table?: string
  /** How long a finished run is remembered, in ms. Default 86 400 000 (a day). */
  readonly windowMs?: number
  /** The largest reply kept for duplicates, in bytes; a larger one is remembered without it. Default 1 MiB. */
  readonly maxAnswerBytes?: number
}

/** Expired rows are deleted, a batch at a time, once every this many claims. */
const sweepEvery = 500

/**
 * A {@link DeduplicationStore} in a PostgreSQL table that every instance of a service shares: a
 * record redelivered to another instance after a crash is not run again there, and a duplicate
 * request gets the first reply from it. Leases and windows are timed by the database's clock, so
 * the instances' clocks need not agree.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createService, postgresDeduplicationStore } from 'kafka-ipc'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * const app = createService({ name: 'billing', deduplication: postgresDeduplicationStore({ pool }) })
 * ```
 */
export function postgresDeduplicationStore(options: PostgresDeduplicationOptions): DeduplicationStore {
  const table = checkTable(options.table ?? 'kafka_ipc_deduplication')
  const windowMs = checkPositive('windowMs', options.windowMs ?? 86_400_000)
  const maxAnswerBytes = checkPositive('maxAnswerBytes', options.maxAnswerBytes ?? 1_048_576)
  const { pool } = options
  let created: Promise<unknown> | undefined
  let claims = 0
  // Created on first use, and again after a failure (the database may have been down).
  const ready = (): Promise<unknown> => {
    created ??= pool
      .query(`CREATE TABLE IF NOT EXISTS ${table} (key text PRIMARY KEY, state text NOT NULL, expires_at timestamptz NOT NULL, answer_headers jsonb, answer_value bytea)`)
      .catch((error: unknown) => {
        created = undefined
        throw storeError('create its table', error)
      })
    return created
  }
  const run = async (what: string, text: string, values: unknown[]): Promise<readonly unknown[]> => {
    await ready()
    try {
      return (await pool.query(text, values)).rows
    } catch (error) {
      throw storeError(what, error)
    }
  }

  return {
    async claim(key, leaseMs) {
      if (++claims % sweepEvery === 0) void run('delete expired keys', `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE expires_at < now() LIMIT 1000)`, []).catch(() => undefined)
      // One round trip: the insert claims a new or expired key; otherwise the select shows the row
      // as it was (a statement's sub-queries share one snapshot).
      const rows = await run(
        'claim a key',
        `WITH claimed AS (
           INSERT INTO ${table} AS t (key, state, expires_at) VALUES ($1, 'running', now() + $2 * interval '1 millisecond')
           ON CONFLICT (key) DO UPDATE SET state = 'running', expires_at = excluded.expires_at, answer_headers = NULL, answer_value = NULL
           WHERE t.expires_at <= now()
           RETURNING key)
         SELECT (SELECT count(*) FROM claimed)::int AS claimed, state, (extract(epoch FROM expires_at) * 1000)::float8 AS until, answer_headers, answer_value
         FROM (SELECT 1) AS one LEFT JOIN ${table} ON key = $1`,
        [key, leaseMs],
      )
      return readClaim(rows[0])
    },
    async renew(key, leaseMs) {
      await run('renew a lease', `UPDATE ${table} SET expires_at = now() + $2 * interval '1 millisecond' WHERE key = $1 AND state = 'running'`, [key, leaseMs])
    },
    async finish(key, answer) {
      const kept = answer !== undefined && answer.value.byteLength <= maxAnswerBytes ? answer : undefined
      await run(
        'remember a finished run',
        `INSERT INTO ${table} (key, state, expires_at, answer_headers, answer_value) VALUES ($1, 'done', now() + $2 * interval '1 millisecond', $3, $4)
         ON CONFLICT (key) DO UPDATE SET state = 'done', expires_at = excluded.expires_at, answer_headers = excluded.answer_headers, answer_value = excluded.answer_value`,
        [key, windowMs, kept === undefined ? null : JSON.stringify([...kept.headers]), kept === undefined ? null : Buffer.from(kept.value.buffer, kept.value.byteOffset, kept.value.byteLength)],
      )
    },
    async release(key) {
      await run('release a key', `DELETE FROM ${table} WHERE key = $1 AND state = 'running'`, [key])
    },
  }
}

/** The claim a row of the claiming statement says. */
function readClaim(row: unknown): DeduplicationClaim {
  const found = row as { claimed: number; state: string | null; until: number | null; answer_headers: unknown; answer_value: Uint8Array | null } | undefined
  if (found === undefined || found.claimed > 0 || found.state === null) return { state: 'claimed' }
  if (found.state === 'running') return { state: 'running', until: found.until ?? 0 }
  return { state: 'done', answer: readAnswer(found.answer_headers, found.answer_value) }
}

/** A stored reply, checked: the row came from a database, not from this process. */
function readAnswer(headers: unknown, value: Uint8Array | null): StoredAnswer | undefined {
  if (value === null || !Array.isArray(headers)) return undefined
  const pairs: [string, string][] = []
  for (const pair of headers as unknown[]) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return undefined
    pairs.push([pair[0], pair[1]])
  }
  return { headers: new Map(pairs), value }
}

function checkTable(table: string): string {
  if (!/^(?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/.test(table)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `postgresDeduplicationStore: table must be name or schema.name of [a-z_][a-z0-9_]*, got ${JSON.stringify(table)}.`)
  return table
}

function checkPositive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `postgresDeduplicationStore: ${name} must be a positive integer, got ${JSON.stringify(value)}.`)
  return value
}

function storeError(what: string, error: unknown): KafkaIpcError {
  return new KafkaIpcError('KIPC_UNAVAILABLE', `The deduplication store could not ${what}: ${(error as Error).message}`, { cause: error })
}
