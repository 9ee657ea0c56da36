// The import report as lines for a person: one line per kind with its counts and skip reasons, then details.

import type { KindReport, MigrationReport } from './betternas.js';

function kindLines(name: string, kind: KindReport, dryRun: boolean): string[] {
  const skipped =
    kind.skipped.length === 0
      ? ''
      : ` (${kind.skipped.map((item) => `${item.id}: ${item.reason}`).join('; ')})`;
  const lines = [
    `${name}: ${kind.create.length} ${dryRun ? 'to import' : 'imported'}, ${kind.unchanged.length} unchanged, ${kind.skipped.length} skipped${skipped}`,
  ];
  if (kind.create.length > 0) {
    const names = kind.create.map((item) =>
      item.role === undefined ? item.id : `${item.id} (${item.role})`,
    );
    lines.push(`  + ${names.join(', ')}`);
  }
  for (const item of [...kind.create, ...kind.unchanged]) {
    for (const note of item.notes) lines.push(`  ! ${item.id}: ${note}`);
  }
  return lines;
}

/** The report as text; a dry run ends with `applyCommand`, the command line that performs its plan. */
export function formatReport(report: MigrationReport, applyCommand: string): string[] {
  const lines = [
    `betterNAS database: ${report.source} (opened read-only)`,
    `Homeport data dir:  ${report.dataDir}`,
    '',
    ...kindLines('users', report.users, report.dryRun),
    ...kindLines('nodes', report.nodes, report.dryRun),
    ...kindLines('exports', report.exports, report.dryRun),
    `sessions: ${report.sessions.count} not imported (${report.sessions.reason})`,
    '',
  ];
  const pending = report.users.create.length + report.nodes.create.length + report.exports.create.length;
  if (report.backup !== null) {
    lines.push(`Backup of Homeport's database, taken before writing: ${report.backup}`);
    lines.push(
      'Imported. Start Homeport: imported users sign in with their betterNAS password; betterNAS agents keep their node ids and tokens.',
    );
  } else if (!report.dryRun) {
    lines.push(
      'Nothing to import (everything is in Homeport already, or skipped): nothing was written, so no backup was taken.',
    );
  } else {
    lines.push(
      pending === 0
        ? 'Dry run: nothing was written, and --apply would write nothing either (everything is in Homeport already, or skipped).'
        : 'Dry run: nothing was written. To import, run:',
    );
    lines.push(`  ${applyCommand}`);
  }
  return lines;
}
