// What `homeport migrate to-kv` prints for a person: one progress line per kind of record as it is copied,
// then the parity check's verdict.

import type { KindReport, ToKvReport } from './to-kv.js';

/** `accounts users: 12 copied, 3 unchanged` (updated, removed, unresolved when there are any). */
export function kindLine(kind: KindReport): string {
  const parts = [`${kind.copied} copied`];
  if (kind.updated > 0) parts.push(`${kind.updated} updated`);
  if (kind.removed > 0) parts.push(`${kind.removed} removed`);
  parts.push(`${kind.unchanged} unchanged`);
  if (kind.unresolved > 0) parts.push(`${kind.unresolved} could not be made equal`);
  return `${kind.module} ${kind.kind}: ${parts.join(', ')}`;
}

/** The lines after the progress: where the copy went, the parity verdict, and warnings. */
export function summaryLines(report: ToKvReport): string[] {
  const counts = Object.entries(report.parity.records)
    .map(([module, count]) => `${module} ${count}`)
    .join(', ');
  const lines = [
    `copied ${report.database} to ${report.nats.url} (nats-server ${report.nats.serverVersion}, ${report.nats.replicas} ${report.nats.replicas === 1 ? 'replica' : 'replicas'} per bucket)`,
    report.parity.ok
      ? `parity: SQLite and KV hold the same records (${counts})`
      : `parity: FAILED — ${report.parity.difference}`,
  ];
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines;
}
