// How a cost grows with the work: the factor per 10x of work between two sizes, and whether that is
// faster than linear. One printed table of it, and the figures for bench/run.ts's table.

import { formatNumber, formatTable } from '../lib/table.js';
import type { Figure } from '../lib/types.js';

export interface ScaleRow {
  /** What grows, e.g. `GET /api/v1/auth/me, a new session per request`. */
  work: string;
  /** The work size (users, exports, clients). */
  size: number;
  /** `100,000 users`. */
  sizeLabel: string;
  /** The figure shown (req/s, ms). */
  value: number;
  unit: string;
  /** What one unit of the figure costs, larger is worse (ms per request, p99 ms): what the growth is of. */
  cost: number;
  detail: string;
}

/**
 * Above this exponent (cost ∝ work^k) growth counts as faster than linear: 10^1.15 ≈ 14× per 10x. The
 * margin over 1 is for the noise of a shared machine; a quadratic step shows up as ~100× per 10x.
 */
export const SUPER_LINEAR_EXPONENT = 1.15;
const MAX_PER_10X = Number((10 ** SUPER_LINEAR_EXPONENT).toFixed(1));

/** The factor the cost grew by per 10x of work from `from` to `to` (geometric: 100x of work is two steps). */
export function perTenfold(from: ScaleRow, to: ScaleRow): number {
  return (to.cost / from.cost) ** (1 / Math.log10(to.size / from.size));
}

export function growthClass(factor: number): string {
  const exponent = Math.log10(factor);
  if (!Number.isFinite(exponent)) return 'NOT MEASURED';
  if (exponent > SUPER_LINEAR_EXPONENT) return 'SUPER-LINEAR';
  if (exponent >= 0.85) return 'linear';
  if (exponent >= 0.1) return 'sub-linear';
  return 'flat';
}

const formatValue = (row: ScaleRow) => `${formatNumber(row.value, row.unit === 'ms' ? 2 : 0)} ${row.unit}`;

/** Rows grouped by `work`, in order; each row after a group's first compared with the one before it. */
function steps(rows: readonly ScaleRow[]): { row: ScaleRow; factor?: number }[] {
  return rows.map((row, index) => {
    const previous = rows[index - 1];
    return previous !== undefined && previous.work === row.work
      ? { row, factor: perTenfold(previous, row) }
      : { row };
  });
}

export function scaleTable(rows: readonly ScaleRow[]): string {
  return formatTable(
    ['Work', 'Size', 'Figure', 'Cost per 10x', 'Growth'],
    steps(rows).map(({ row, factor }) => [
      row.work,
      row.sizeLabel,
      formatValue(row),
      factor === undefined ? '' : `× ${factor.toFixed(2)}`,
      factor === undefined ? '' : growthClass(factor),
    ]),
  );
}

/** Each row as a figure, and each step as a growth figure whose goal is "not faster than linear". */
export function scaleFigures(rows: readonly ScaleRow[]): Figure[] {
  const figures: Figure[] = [];
  for (const { row, factor } of steps(rows)) {
    figures.push({
      label: `${row.work}, ${row.sizeLabel}`,
      value: row.value,
      unit: row.unit,
      detail: row.detail,
    });
    if (factor === undefined) continue;
    const from = rows[rows.indexOf(row) - 1] as ScaleRow; // steps() gave a factor, so there is one before
    figures.push({
      label: `${row.work}: cost growth per 10x, ${from.sizeLabel} → ${row.sizeLabel}`,
      value: factor,
      unit: 'x',
      goal: { comparison: '<=', target: MAX_PER_10X },
      detail: `${growthClass(factor)} (linear: 10x per 10x; cost ${row.cost.toFixed(3)} vs ${from.cost.toFixed(3)})`,
    });
  }
  return figures;
}
