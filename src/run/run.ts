/**
 * Running a scenario to a trace, and the report the CLI and the extension share.
 */
import { ScenarioRun, type RunOptions } from './runner';
import type { Expectation, Scenario } from '../scenario/types';
import type { Counters } from '../model/state';
import type { Variant } from '../kernel/variants';
import { eraOf, policiesOf } from '../kernel/variants';
import type { Step, Violation } from '../model/step';

export interface Trace {
  scenario: Scenario;
  variant: Variant;
  flushMode: string;
  steps: Step[];
  violations: Violation[];
  counters: Counters;
  verdict: 'pass' | 'violation';
}

export function runScenario(scenario: Scenario, options: RunOptions): Trace {
  const run = new ScenarioRun(scenario, options);
  run.runToEnd();
  const m = run.machine;
  return {
    scenario,
    variant: options.variant,
    flushMode: m.ctx.flushMode,
    steps: m.steps,
    violations: m.violations,
    counters: { ...m.state.counters },
    verdict: m.violations.length ? 'violation' : 'pass',
  };
}

/** The JSON report of `kvm-mmu-lab run|check --json`. */
export interface Report {
  scenario: string;
  variant: string;
  policies: Omit<Variant, 'name' | 'era'>;
  /** The kernel era the steps follow (src/kernel/eras.ts). */
  era: string;
  flushMode: string;
  entries: number;
  verdict: 'pass' | 'violation';
  violations: Array<Pick<Violation, 'kind' | 'vcpu' | 'gfn' | 'step' | 'message'> & Partial<Violation>>;
  counters: Counters;
  steps?: number;
}

export function toReport(t: Trace): Report {
  const policies = policiesOf(t.variant);
  return {
    scenario: t.scenario.name,
    variant: t.variant.name,
    policies,
    era: eraOf(t.variant).id,
    flushMode: t.flushMode,
    entries: t.scenario.entries,
    verdict: t.verdict,
    violations: t.violations.map((v) => ({ ...v })),
    counters: t.counters,
    steps: t.steps.length,
  };
}

/**
 * Whether a trace meets a scenario's expectation: "pass" (no violation), "violation" (some), or
 * "violation:<kind>" (a violation of that kind among them).
 */
export function meetsExpectation(t: Pick<Trace, 'violations'>, expected: Expectation): boolean {
  if (expected === 'pass') return t.violations.length === 0;
  if (expected === 'violation') return t.violations.length > 0;
  const kind = expected.slice('violation:'.length);
  return t.violations.some((v) => v.kind === kind);
}
