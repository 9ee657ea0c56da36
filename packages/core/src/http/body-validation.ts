// Request validation with Fastify's own Ajv compiler, except that JSON bodies are checked as sent.
// Coercion exists for the parts that are only ever strings (query string, path parameters, headers). Applied
// to a JSON body it rewrites what the client chose: `{"expiresInDays": ""}` became null ("never expires")
// against `[integer, null]`, `"1"` became 1, `false` became 0, and under `anyOf` a null became 0.

import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;
/** The part of @fastify/ajv-compiler's factory used here. */
type BuildCompiler = (
  externalSchemas: unknown,
  options: { customOptions?: Record<string, unknown> } | undefined,
) => (route: { httpPart?: string }) => unknown;

// Loaded the way Fastify loads it (it is Fastify's dependency, not ours), so both compilers are the one
// Fastify would have used, with its default options (removeAdditional, useDefaults, formats).
// Required on the first compile, not at start: Ajv is ~70 ms of CommonJS files to load (issue 15; route
// schemas compile on first use, see lazy-compilers.ts).
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const ajvCompiler = () =>
  (fromFastify('@fastify/ajv-compiler') as { AjvCompiler: () => BuildCompiler }).AjvCompiler;

/**
 * Fastify's `schemaController.compilersFactory.buildValidator`: bodies without type coercion, every other
 * part as Fastify does by default.
 */
export function bodyWithoutCoercion(): ValidatorFactory {
  let build: BuildCompiler | undefined;
  const factory: BuildCompiler = (externalSchemas, options) => {
    build ??= ajvCompiler()();
    const coercing = build(externalSchemas, options);
    const strict = build(externalSchemas, {
      ...options,
      customOptions: { ...options?.customOptions, coerceTypes: false },
    });
    return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
  };
  // Same runtime shape as Fastify's default factory; its declared type is a union a wrapper cannot name.
  return factory as unknown as ValidatorFactory;
}
