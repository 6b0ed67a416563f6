import type { Schema } from '../core/schema.ts'

/** The JSON Schema versions a document may ask for. */
export type JsonSchemaTarget = 'draft-07' | 'draft-2020-12'

/**
 * The JSON Schema (draft-07 or 2020-12) of what a contract's schema accepts (`input`, what a sender
 * passes) or produces (`output`, what a receiver gets), from the Standard JSON Schema interface
 * that zod 4.2+, ArkType and others implement; undefined when the schema does not offer one
 * ({@link typed}, older validators) or cannot express itself in JSON Schema (a transform, a
 * custom check) — the document then says the body is not described rather than guess.
 *
 * @example
 * ```ts
 * jsonSchemaOf(z.object({ from: z.string() }), 'input') // { $schema: '…/2020-12/schema', type: 'object', properties: { from: { type: 'string' } }, … }
 * ```
 */
export function jsonSchemaOf(schema: Schema | undefined, io: 'input' | 'output', target: JsonSchemaTarget = 'draft-2020-12'): Record<string, unknown> | undefined {
  if (schema === undefined) return undefined
  const converter = (schema['~standard'] as { readonly jsonSchema?: { readonly input?: unknown; readonly output?: unknown } }).jsonSchema
  const convert = converter?.[io]
  if (typeof convert !== 'function') return undefined
  try {
    const converted: unknown = convert.call(converter, { target })
    return typeof converted === 'object' && converted !== null ? (converted as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * A body's JSON Schema as documents carry it: draft-07 — what AsyncAPI 3.0's schema object is
 * built on — without a `$schema` of its own.
 *
 * @example
 * ```ts
 * documentSchemaOf(z.object({ id: z.string() }), 'output') // { type: 'object', properties: { id: { type: 'string' } }, required: ['id'], … }
 * ```
 */
export function documentSchemaOf(schema: Schema | undefined, io: 'input' | 'output'): Record<string, unknown> | undefined {
  const json = jsonSchemaOf(schema, io, 'draft-07')
  if (json === undefined) return undefined
  const copy = { ...json }
  delete copy['$schema']
  return copy
}
