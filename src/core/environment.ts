/**
 * Environment variables as kafka-ipc reads them: `process.env`, or any object of the same shape.
 * Declared here rather than as `NodeJS.ProcessEnv` so that the published types do not need Node's
 * global types in a project that has not installed them.
 *
 * @example
 * ```ts
 * const policy = loadPolicy({ env: { KIPC_PREFIX: 'airline', KIPC_TIMEOUT_MS: '2000' } })
 * ```
 */
export type Environment = Readonly<Record<string, string | undefined>>
