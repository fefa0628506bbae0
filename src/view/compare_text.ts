/**
 * Presets compared on one scenario (src/review/compare.ts), as every front end shows them: the
 * columns are defined here once, and the table comes out aligned for a terminal (`kvm-mmu-lab
 * compare`), as Markdown (Compare Variants' result), or as cells for the review view's DOM table.
 */
import type { CompareRow } from '../review/compare';
import { english, type Translate } from './translate';

/**
 * One preset's row: the core's CompareRow (src/review/compare.ts) without the SPTE writes no table
 * shows; the webview protocol's CompareRowView is one too. splitFlushesPer64G is a count,
 * FULL_SCALE_RUNNING, or FULL_SCALE_OFF (or absent) when not computed.
 */
export type ComparedRow = Omit<CompareRow, 'spteWrites'>;

/** The full-scale cost while its job runs, and when it was not computed (CompareRowView's -1 and -2). */
export const FULL_SCALE_RUNNING = -1;
export const FULL_SCALE_OFF = -2;

/** A table as text cells, whichever medium draws it. */
export interface CompareTable {
  head: string[];
  /** Per column: a count, drawn right-aligned. */
  numeric: boolean[];
  rows: { row: ComparedRow; cells: string[] }[];
}

export interface CompareTableOptions {
  t?: Translate;
  /** How a count is written: digits alone by default (the CLI's, for scripts); the review view groups thousands. */
  count?: (n: number) => string;
}

/** The full-scale column is there when some row has a cost, or is computing one. */
function hasFullScale(rows: readonly ComparedRow[]): boolean {
  return rows.some((r) => r.splitFlushesPer64G !== undefined && r.splitFlushesPer64G !== FULL_SCALE_OFF);
}

export function compareTable(rows: readonly ComparedRow[], { t = english, count = String }: CompareTableOptions = {}): CompareTable {
  const full = hasFullScale(rows);
  const head = [t('variant'), t('verdict'), t('remote flushes'), t('split flushes'), t('skipped'), t('pages flushed'), t('SPs reused'), ...(full ? [t('split flushes / 64 GiB')] : [])];
  const cost = (n: number | undefined): string => (n === undefined || n === FULL_SCALE_OFF ? '' : n === FULL_SCALE_RUNNING ? '…' : count(n));
  return {
    head,
    numeric: head.map((_, i) => i >= 2),
    rows: rows.map((r) => ({
      row: r,
      cells: [
        r.variant, r.verdict === 'pass' ? t('pass') : t('violation'),
        ...[r.remoteFlushes, r.splitFlushes, r.flushesSkipped, r.pagesFlushed, r.spsReused].map(count),
        ...(full ? [cost(r.splitFlushesPer64G)] : []),
      ],
    })),
  };
}

/** The table for a terminal: columns two spaces apart, names left-aligned, counts right-aligned, a rule under the head. */
export function compareText(rows: readonly ComparedRow[]): string {
  const table = compareTable(rows);
  const body = table.rows.map((r) => r.cells);
  const widths = table.head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (table.numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(table.head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/** The verdict as a view shouts it: PASS, or VIOLATION with how many. */
export function verdictLabel(row: ComparedRow, t: Translate = english): string {
  return row.verdict === 'pass' ? t('PASS') : t('VIOLATION ({0})', row.violations);
}

/** The table as Markdown under a heading that names the scenario and the flush mode; a violation in bold capitals. */
export function compareMarkdown(scenario: string, flushMode: string, rows: readonly ComparedRow[], t: Translate = english): string {
  const table = compareTable(rows, { t });
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    t('# Variants compared on {0} ({1} flushes)', scenario, flushMode),
    '',
    line(table.head),
    `|${table.numeric.map((n) => (n ? '--:' : '---')).join('|')}|`,
    ...table.rows.map(({ row, cells }) => line([`\`${cells[0]}\``, row.verdict === 'pass' ? cells[1] : `**${t('VIOLATION')}**`, ...cells.slice(2)])),
    '',
  ].join('\n');
}
