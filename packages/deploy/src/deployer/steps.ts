// A running deploy's journal: its steps as they start and end, its log lines (secrets masked) in the store,
// in the server's JSON log with the deploy's fields, and out to listeners (SSE) — one place for all three.

import type { Logger } from '@homeport/core';
import type { DeployRecord, DeployStep, DeployStepName, LogLine } from '../model.js';
import { maskSecrets } from '../secrets.js';
import type { DeployStore } from '../store/repositories.js';

/** Where a deploy's changes and lines go besides the store (events for the UI; the module wires it). */
export interface DeployNotifier {
  deployChanged(deploy: DeployRecord): void;
  /** A deploy reached its final status (announcements: a bus room). Never throws into the deployer. */
  deployFinished?(deploy: DeployRecord): void;
  logLines(deployId: string, lines: readonly Omit<LogLine, 'seq'>[]): void;
}

/** A failure of a step: its reason is what the deploy record and the UI show. */
export class StepFailure extends Error {
  constructor(
    readonly step: DeployStepName,
    readonly reason: string,
    readonly status: 'failed' | 'cancelled' = 'failed',
  ) {
    super(reason);
  }
}

export interface Journal {
  /** Runs `fn` as step `name`: recorded running, then ok (with its message) or failed (and rethrown). */
  step<T>(name: DeployStepName, fn: () => Promise<T>, message?: (result: T) => string | null): Promise<T>;
  line(text: string): Promise<void>;
  /** Secret values learnt along the way (the release's env, registry passwords) are masked from then on. */
  addSecrets(values: readonly string[]): void;
  /** `text` with the secrets known so far masked (a failure's reason before it goes into the record). */
  mask(text: string): string;
  /** Log fields of the deploy (project, stage, tag, digest, release, container). */
  fields: Record<string, string>;
  current(): DeployRecord;
}

export function openJournal(options: {
  deploy: DeployRecord;
  store: DeployStore;
  notifier: DeployNotifier;
  log: Logger;
  clock: () => number;
}): Journal {
  const { store, notifier, clock } = options;
  let record = options.deploy;
  const steps: DeployStep[] = [...record.steps];
  const secrets: string[] = [];
  const fields: Record<string, string> = { deployId: record.id };
  const iso = () => new Date(clock()).toISOString();

  const saveSteps = async () => {
    const saved = await store.deploys.progress(record.id, { steps: [...steps] });
    if (saved) {
      record = saved;
      notifier.deployChanged(saved);
    }
  };

  const line = async (text: string) => {
    const masked = maskSecrets(text, secrets);
    const entry = { ts: iso(), stream: 'deploy' as const, line: masked };
    options.log.info({ ...fields }, masked);
    await store.logs.append({ kind: 'deploy', id: record.id }, [entry]);
    notifier.logLines(record.id, [entry]);
  };

  return {
    fields,
    current: () => record,
    addSecrets(values) {
      for (const value of values) if (!secrets.includes(value)) secrets.push(value);
    },
    mask: (text) => maskSecrets(text, secrets),
    line,
    async step(name, fn, message) {
      const entry: DeployStep = { name, status: 'running', startedAt: iso(), endedAt: null, message: null };
      steps.push(entry);
      await saveSteps();
      try {
        const result = await fn();
        entry.status = 'ok';
        entry.endedAt = iso();
        entry.message = message ? maskSecrets(message(result) ?? '', secrets) || null : null;
        await saveSteps();
        if (entry.message) await line(`${name}: ${entry.message}`);
        return result;
      } catch (err) {
        const failure =
          err instanceof StepFailure
            ? err
            : new StepFailure(name, err instanceof Error ? err.message : String(err));
        entry.status = failure.status === 'cancelled' ? 'cancelled' : 'failed';
        entry.endedAt = iso();
        entry.message = maskSecrets(failure.reason, secrets);
        await saveSteps();
        await line(`${name} ${entry.status}: ${entry.message}`);
        throw failure;
      }
    },
  };
}
