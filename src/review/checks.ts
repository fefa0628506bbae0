/**
 * The built-in scenarios' checks behind a patch review: each scenario under a variant, in each
 * flush mode of the host (bare metal: every remote flush is full; a range-capable flush, as with
 * Hyper-V: only the range the code passes), and which modelled steps the variant's code has. The
 * latter is derived from the model itself: a step is one of a variant's if the model emits it
 * under that variant, or if it is not one the model emits under some presets and not others.
 */
import { ScenarioRun } from '../run/runner';
import { anchorIdOf, type AnchorId } from '../kernel/anchors';
import type { FlushMode } from '../model/modes';
import { BUILTIN_SCENARIOS, builtinScenario } from '../scenario/builtins';
import { PRESETS, type Variant } from '../kernel/variants';

export const FLUSH_MODES: readonly FlushMode[] = ['bare-metal', 'range'];

/** The flush modes in words, as the review says them. */
export const FLUSH_MODE_WORDS: Record<FlushMode, string> = {
  'bare-metal': 'bare metal',
  range: 'range-capable flush (Hyper-V)',
};

export interface ScenarioVerdict {
  scenario: string;
  flushMode: FlushMode;
  verdict: 'pass' | 'violation';
  remoteFlushes: number;
  splitFlushes: number;
  /** "kind (strength): message", one per violation. */
  violations: string[];
}

export interface VariantChecks {
  variant: Variant;
  rows: ScenarioVerdict[];
  /** The steps the model emitted under this variant, in any of these runs. */
  emitted: Set<AnchorId>;
}

/** Per-write records off: the structure check reads them, the verdicts of the built-in scenarios do not (a unit test compares). */
const CHECKS = { keepSteps: false, recordWrites: false };

function runOne(scenario: string, variant: Variant, flushMode: FlushMode, emitted: Set<AnchorId>): ScenarioVerdict {
  const run = new ScenarioRun(builtinScenario(scenario)!, { variant, flushMode, checks: CHECKS });
  for (let st = run.step(); st; st = run.step()) {
    const id = anchorIdOf(st.anchor);
    if (id) emitted.add(id);
  }
  const m = run.machine;
  return {
    scenario, flushMode, verdict: m.violations.length ? 'violation' : 'pass',
    remoteFlushes: m.state.counters.remoteFlushes, splitFlushes: m.state.counters.splitFlushes,
    violations: m.violations.map((x) => `${x.kind}${x.strength ? ` (${x.strength})` : ''}: ${x.message}`),
  };
}

/** Every built-in scenario under a variant, in each of the flush modes, scenario by scenario. */
export function checkVariant(variant: Variant, modes: readonly FlushMode[] = FLUSH_MODES): VariantChecks {
  const emitted = new Set<AnchorId>();
  const rows: ScenarioVerdict[] = [];
  for (const scenario of BUILTIN_SCENARIOS) for (const mode of modes) rows.push(runOne(scenario, variant, mode, emitted));
  return { variant, rows, emitted };
}

let dependent: Set<AnchorId> | undefined;

/**
 * The steps the model emits under some presets and not under others (drop_large_spte()'s two
 * flush forms, the seed's present-entry test, the 2026 zap): the ones a variant may lack. Read off
 * the model once, on the two scenarios that reuse a child table (every policy shows there).
 */
export function variantDependentSteps(): Set<AnchorId> {
  if (dependent) return dependent;
  const per = PRESETS.map((p) => {
    const emitted = new Set<AnchorId>();
    for (const s of ['reused-partial', 'reused-leaf']) runOne(s, p, 'bare-metal', emitted);
    return emitted;
  });
  const all = new Set(per.flatMap((e) => [...e]));
  dependent = new Set([...all].filter((id) => per.some((e) => !e.has(id))));
  return dependent;
}

/** A step exists under one of these variants' code: it is emitted under one, or no variant lacks it. */
export function stepExists(id: AnchorId, variants: readonly VariantChecks[]): boolean {
  return !variantDependentSteps().has(id) || variants.some((v) => v.emitted.has(id));
}
