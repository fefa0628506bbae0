/** Shared by the unit tests: run a built-in scenario under a preset. */
import { builtinScenario } from '../../src/scenario/builtins';
import type { Scenario } from '../../src/scenario/types';
import { runScenario, type Trace } from '../../src/run/run';
import type { RunOptions } from '../../src/run/runner';
import { findPreset } from '../../src/kernel/variants';

export function scenario(name: string): Scenario {
  const s = builtinScenario(name);
  if (!s) throw new Error(`no built-in scenario ${name}`);
  return s;
}

export function run(name: string | Scenario, preset: string, extra: Partial<RunOptions> = {}): Trace {
  const variant = findPreset(preset);
  if (!variant) throw new Error(`no preset ${preset}`);
  return runScenario(typeof name === 'string' ? scenario(name) : name, { variant, ...extra });
}

/** Steps of a trace whose statement is the split's flush (issued or skipped). */
export function splitFlushSteps(t: Trace) {
  return t.steps.filter((s) => (s.kind === 'flush' || s.kind === 'flush-skipped') && s.op >= 0 && /drop_large_spte|__link_shadow_page/.test(s.anchor.fn) && s.opLabel.indexOf('fault') < 0);
}
