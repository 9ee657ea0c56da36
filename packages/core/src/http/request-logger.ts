// Fastify gives every request a child logger bound to its request id. Making one costs pino a pass of its
// redaction over the bindings, on every request (3-4 % of a session-authenticated GET's CPU here), while most
// requests never log a line: the access log is off by default. The child is made on first use instead.

import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

/**
 * Stands in for `parent.child(bindings)`: the real child is made the first time a line is logged at an
 * enabled level (or a child of it is asked for), so lines carry the request id exactly as before.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  #child: Logger | undefined;
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  /** The real child when a line at `level` would be written, so a disabled level costs no child. */
  #at(level: Level): Logger | undefined {
    if (this.#child === undefined && this.#options.level === undefined && !this.#parent.isLevelEnabled(level))
      return undefined;
    return this.#real();
  }

  #log(level: Level, args: unknown[]): void {
    const logger = this.#at(level);
    if (logger !== undefined) Reflect.apply(logger[level], logger, args);
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/**
 * A Fastify `childLoggerFactory` that defers the request's child logger until something is logged.
 *
 * @example
 *   Fastify({ loggerInstance: log, childLoggerFactory: lazyRequestLogger });
 */
export function lazyRequestLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(logger as Logger, bindings, options);
}
