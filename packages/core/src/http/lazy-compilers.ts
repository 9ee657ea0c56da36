// Route schemas compiled on their first use instead of at start: Fastify compiles every route's Ajv validator
// and fast-json-stringify serializer in ready(), about a quarter of `homeport start` (bench/startup), while
// most routes are not called in a process's first seconds and many never are.

import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;
type ValidatorFactory = NonNullable<CompilersFactory['buildValidator']>;
type SerializerFactory = NonNullable<CompilersFactory['buildSerializer']>;

/** What Fastify reads on a validator: Ajv's `errors` after a failed call, `schemaEnv` to pass the parent. */
interface Validator {
  (data: unknown, context?: unknown): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}

type RouteCompiler<Fn> = (route: never) => Fn;
type Factory<Fn> = (externalSchemas: unknown, options: unknown) => RouteCompiler<Fn>;

/**
 * Wraps a validator factory (see body-validation.ts) so each route's validator is compiled on its first call.
 * The wrapper passes Ajv's parent-data context through (Fastify gives it when `schemaEnv` is set, as on every
 * Ajv validator) and copies `errors` after each call, where Fastify reads them.
 */
export function lazyValidators(build: ValidatorFactory): ValidatorFactory {
  // The factory's declared type is a union a wrapper cannot name; this is its runtime shape.
  const factory = build as unknown as Factory<Validator>;
  const lazy: Factory<Validator> = (externalSchemas, options) => {
    // The compiler itself (Ajv instances for this scope's shared schemas) is made on the scope's first compile.
    let compileFor: RouteCompiler<Validator> | undefined;
    return (route) => {
      let compiled: Validator | undefined;
      const validate: Validator = (data, context) => {
        compileFor ??= factory(externalSchemas, options);
        compiled ??= compileFor(route);
        const result = compiled(data, context);
        validate.errors = compiled.errors;
        return result;
      };
      validate.schemaEnv = true;
      return validate;
    };
  };
  return lazy as unknown as ValidatorFactory;
}

// Fastify's own serializer compiler, loaded the way Fastify loads it (its dependency, not ours), on the first
// reply that needs it.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const serializerSelector = () =>
  fromFastify('@fastify/fast-json-stringify-compiler') as () => Factory<(data: unknown) => string>;

/** Fastify's default response serializers (fast-json-stringify), each compiled on its route's first reply. */
export function lazySerializers(): SerializerFactory {
  let factory: Factory<(data: unknown) => string> | undefined;
  const lazy: Factory<(data: unknown) => string> = (externalSchemas, options) => {
    let compileFor: RouteCompiler<(data: unknown) => string> | undefined;
    return (route) => {
      let compiled: ((data: unknown) => string) | undefined;
      return (data) => {
        factory ??= serializerSelector()();
        compileFor ??= factory(externalSchemas, options);
        compiled ??= compileFor(route);
        return compiled(data);
      };
    };
  };
  // Same runtime shape as Fastify's default factory; its declared type is a union a wrapper cannot name.
  return lazy as unknown as SerializerFactory;
}
