// Graceful shutdown: signals flip /health to 503, then registered steps run in reverse order within a bound.

import type { Logger } from 'pino';
import { flushLogger } from './logger.js';

export interface Lifecycle {
  /** True once shutdown began; /health answers 503 from then on. */
  readonly draining: boolean;
  /** Registers a shutdown step; steps run in reverse order of registration (last started, first stopped). */
  onShutdown(name: string, step: () => Promise<void> | void): void;
  /** Runs every step once; later calls return the same promise. */
  shutdown(reason: string): Promise<void>;
  /** SIGTERM/SIGINT start a shutdown and exit 0 when it ends; a second signal exits at once. */
  installSignalHandlers(exit?: (code: number) => void): void;
}

export interface LifecycleOptions {
  log: Logger;
  /** Longest the whole shutdown may take before the process exits anyway. */
  timeoutMs: number;
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  let draining = false;
  let running: Promise<void> | undefined;

  const runSteps = async (): Promise<void> => {
    for (const { name, step } of [...steps].reverse()) {
      try {
        await step();
        options.log.debug({ step: name }, 'shutdown step done');
      } catch (error) {
        // One failing step must not keep the rest (the database close above all) from running.
        options.log.error({ err: error, step: name }, 'shutdown step failed');
      }
    }
  };

  const lifecycle: Lifecycle = {
    get draining() {
      return draining;
    },
    onShutdown(name, step) {
      steps.push({ name, step });
    },
    shutdown(reason) {
      if (running) return running;
      draining = true;
      options.log.info({ reason }, 'shutting down');
      running = runSteps();
      return running;
    },
    installSignalHandlers(exit = (code) => process.exit(code)) {
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        signals += 1;
        if (signals > 1) {
          options.log.warn({ signal }, 'second signal: exiting now');
          void flushLogger(options.log, 200).then(() => exit(1));
          return;
        }
        const timer = setTimeout(() => {
          options.log.error({ timeoutMs: options.timeoutMs }, 'shutdown took too long: exiting');
          void flushLogger(options.log, 200).then(() => exit(1));
        }, options.timeoutMs);
        timer.unref();
        void lifecycle.shutdown(signal).then(async () => {
          clearTimeout(timer);
          options.log.info('stopped');
          await flushLogger(options.log);
          exit(0);
        });
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    },
  };
  return lifecycle;
}
