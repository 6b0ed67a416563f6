import type { StandardSchemaV1 } from '@standard-schema/spec'
import { type AnyErrorCode, KafkaIpcError } from './kafka-ipc-error.ts'

/** Any Standard Schema validator: zod, valibot, arktype, effect schema, or {@link typed}. */
export type Schema<Input = unknown, Output = Input> = StandardSchemaV1<Input, Output>

/** The type a schema accepts (what a sender passes). */
export type InferIn<S> = S extends StandardSchemaV1<infer Input, unknown> ? Input : unknown
/** The type a schema produces (what a receiver gets). */
export type InferOut<S> = S extends StandardSchemaV1<unknown, infer Output> ? Output : unknown

/**
 * A schema that checks nothing and only carries a type, for contracts written without a
 * validation library. Prefer a real validator at trust boundaries.
 *
 * @example
 * ```ts
 * const ping = route('health', 'GET /ping', { reply: typed<{ ok: boolean }>() })
 * ```
 */
export function typed<T>(): Schema<T, T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'kafka-ipc',
      validate: (value) => ({ value: value as T }),
    },
  }
}

/**
 * Runs a Standard Schema and returns its output, or throws a KafkaIpcError with `code` whose
 * message lists the issues (path: message), at most ten. A schema that answers at once (zod,
 * valibot, arktype do for schemas without async refinements) is answered at once — no promise
 * per message on the hot path; an asynchronous one gives a promise that rejects instead.
 *
 * @example
 * ```ts
 * const body = await validate(contract.body, raw, 'KIPC_BAD_REQUEST', 'request body')
 * ```
 */
export function validate<S extends Schema | undefined>(schema: S, value: unknown, code: AnyErrorCode, what: string): InferOut<S> | Promise<InferOut<S>> {
  if (schema === undefined) return value as InferOut<S>
  const result = schema['~standard'].validate(value)
  if (result instanceof Promise) return result.then((settled: StandardSchemaV1.Result<unknown>) => outputOf<S>(settled, code, what))
  return outputOf<S>(result, code, what)
}

function outputOf<S extends Schema | undefined>(result: StandardSchemaV1.Result<unknown>, code: AnyErrorCode, what: string): InferOut<S> {
  if (result.issues === undefined) return result.value as InferOut<S>
  const issues = result.issues.slice(0, 10).map((issue) => {
    const path = issue.path?.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.')
    return path === undefined || path === '' ? issue.message : `${path}: ${issue.message}`
  })
  throw new KafkaIpcError(code, `Invalid ${what}: ${issues.join('; ')}`, { details: { issues } })
}
