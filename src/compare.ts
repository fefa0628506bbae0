/** Presets side by side on one scenario: the table `kvm-mmu-lab compare` prints. */
import type { FlushMode } from './mmu/context';
import type { Scenario } from './scenario/types';
import { runScenario } from './trace/run';
import { PRESETS, type Variant } from './variants';

export interface CompareRow {
  variant: string;
  verdict: 'pass' | 'violation';
  violations: number;
  remoteFlushes: number;
  splitFlushes: number;
  flushesSkipped: number;
  pagesFlushed: number;
  spsReused: number;
  spteWrites: number;
}

export function compareVariants(scenario: Scenario, flushMode?: FlushMode, variants: readonly Variant[] = PRESETS): CompareRow[] {
  return variants.map((v) => {
    const t = runScenario(scenario, { variant: v, ...(flushMode ? { flushMode } : {}), checks: { keepSteps: false } });
    const c = t.counters;
    return {
      variant: v.name, verdict: t.verdict, violations: t.violations.length, remoteFlushes: c.remoteFlushes,
      splitFlushes: c.splitFlushes, flushesSkipped: c.flushesSkipped, pagesFlushed: c.pagesFlushed,
      spsReused: c.spsReused, spteWrites: c.spteWrites,
    };
  });
}

export function compareTable(rows: CompareRow[]): string {
  const head = ['variant', 'verdict', 'remote flushes', 'split flushes', 'skipped', 'pages flushed', 'SPs reused'];
  const body = rows.map((r) => [r.variant, r.verdict, String(r.remoteFlushes), String(r.splitFlushes), String(r.flushesSkipped), String(r.pagesFlushed), String(r.spsReused)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}
