/** Presets side by side on one scenario: the rows of the table every front end shows (src/view/compare_text.ts). */
import type { RunOptions } from '../run/runner';
import type { FlushMode } from '../model/modes';
import { bigGuest } from '../scenario/generated';
import type { Scenario } from '../scenario/types';
import { runScenario } from '../run/run';
import { PRESETS, type Variant } from '../kernel/variants';

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
  /** Flushes from eager split when logging starts on a 64 GiB guest on 1 GiB pages (if asked for). */
  splitFlushesPer64G?: number;
}

/** `limits` caps each run's memory (one run at a time: RunOptions.maxMemoryBytes, a ResourceLimitError past it). */
export function compareVariants(scenario: Scenario, flushMode?: FlushMode, variants: readonly Variant[] = PRESETS, fullScale = false, limits: Pick<RunOptions, 'maxMemoryBytes' | 'memoryUsed'> = {}): CompareRow[] {
  return variants.map((v) => {
    const t = runScenario(scenario, { variant: v, ...(flushMode ? { flushMode } : {}), checks: { keepSteps: false }, ...limits });
    const c = t.counters;
    return {
      variant: v.name, verdict: t.verdict, violations: t.violations.length, remoteFlushes: c.remoteFlushes,
      splitFlushes: c.splitFlushes, flushesSkipped: c.flushesSkipped, pagesFlushed: c.pagesFlushed,
      spsReused: c.spsReused, spteWrites: c.spteWrites,
      ...(fullScale ? { splitFlushesPer64G: splitFlushesPer64G(v, limits) } : {}),
    };
  });
}

/**
 * What a variant's eager split costs at full scale: the flushes it issues when dirty logging
 * starts on a 64 GiB guest backed by 1 GiB pages (32,832 splits). Run on the model with the
 * checks off; takes about a second a variant and holds about 300 MiB. `limits` caps its memory
 * (RunOptions.maxMemoryBytes: a ResourceLimitError past it).
 */
export function splitFlushesPer64G(variant: Variant, limits: Pick<RunOptions, 'maxMemoryBytes' | 'memoryUsed'> = {}): number {
  const t = runScenario(bigGuest(64), { variant, checks: { keepSteps: false, recordWrites: false, unmapped: false, permissions: false }, ...limits });
  return t.counters.splitFlushes;
}
