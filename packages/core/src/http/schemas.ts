// Schema helpers shared by the modules' routes.

import { type Static, type TSchema, Type } from 'typebox';

/**
 * `T | null` as a JSON Schema type list (`{ type: ['integer', 'null'] }`) rather than `anyOf`: with
 * Fastify's type coercion, `anyOf [integer, null]` turns a null into 0 before the null branch is tried.
 * For primitive schemas (string, integer, number, boolean).
 */
export function Nullable<T extends TSchema & { type: string }>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}
