/**
 * Property tests over random scenarios in small scope (see random_scenarios.ts). A scenario the
 * runner refuses (an access that faults while a paused operation holds mmu_lock) is not a
 * counterexample; it is skipped and counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScenarioRun, ScenarioRunError } from '../../src/run/runner';
import { auditStructure } from '../../src/checks/structure';
import { runScenario } from '../../src/run/run';
import { traceText } from '../../src/view/trace_text';
import { Walkthrough } from '../../src/run/walkthrough';
import { findPreset, PRESETS } from '../../src/kernel/variants';
import type { Scenario } from '../../src/scenario/types';
import { scenarioArb } from './random_scenarios';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const SEED = Number(process.env.PROPERTY_SEED ?? 20221122);

function tryRun(s: Scenario, preset: string) {
  try {
    return runScenario(s, { variant: findPreset(preset)! });
  } catch (e) {
    if (e instanceof ScenarioRunError) return null;
    throw e;
  }
}

test('structural sanity holds after every step, for every preset', () => {
  fc.assert(fc.property(scenarioArb, fc.constantFrom(...PRESETS.map((p) => p.name)), (s, preset) => {
    let r: ScenarioRun;
    try {
      r = new ScenarioRun(s, { variant: findPreset(preset)! });
      let step;
      while ((step = r.step())) {
        const problems = auditStructure(r.machine.state);
        if (problems.length) throw new Error(`${preset} after step ${step.index} (${step.text}): ${problems[0]}`);
      }
    } catch (e) {
      if (e instanceof ScenarioRunError) return;
      throw e;
    }
  }), { numRuns: RUNS, seed: SEED });
});

test('the safe presets report no violation on random runs (bare metal)', () => {
  fc.assert(fc.property(scenarioArb, (s) => {
    for (const p of PRESETS.filter((x) => x.safe)) {
      const t = tryRun(s, p.name);
      if (t && t.verdict !== 'pass') throw new Error(`${p.name}: ${t.violations[0].message}\n${JSON.stringify(s.operations)}`);
    }
  }), { numRuns: RUNS, seed: SEED });
});

test('never-flush violations replay: the same scenario gives the same violations again', () => {
  let found = 0;
  fc.assert(fc.property(scenarioArb, (s) => {
    const a = tryRun(s, 'never-flush');
    if (!a || a.verdict === 'pass') return;
    found++;
    const b = tryRun(s, 'never-flush')!;
    assert.deepEqual(b.violations, a.violations);
  }), { numRuns: RUNS, seed: SEED });
  assert.ok(found > 0, 'the random scenarios found no never-flush violation at all: the generator is too weak');
});

test('traces are deterministic, and stepping back and forth returns identical states', () => {
  fc.assert(fc.property(scenarioArb, fc.array(fc.nat(), { minLength: 5, maxLength: 12 }), (s, jumps) => {
    const a = tryRun(s, 'v7');
    if (!a) return;
    assert.equal(traceText(tryRun(s, 'v7')!, false), traceText(a, false));
    const w = new Walkthrough(s, { variant: findPreset('v7')! }, 4);
    const forward: string[] = [];
    const r = new ScenarioRun(s, { variant: findPreset('v7')! });
    const fp = () => JSON.stringify([r.machine.state.sps.map((x) => [Array.from(x.flags), Array.from(x.target)]), r.machine.state.vcpus, r.machine.state.counters]);
    forward.push(fp());
    while (r.step()) forward.push(fp());
    for (const j of jumps) {
      const i = (j % (w.length + 1)) - 1;
      const st = w.stateAfter(i);
      const got = JSON.stringify([st.sps.map((x) => [Array.from(x.flags), Array.from(x.target)]), st.vcpus, st.counters]);
      assert.equal(got, forward[i + 1], `state after step ${i}`);
    }
  }), { numRuns: Math.ceil(RUNS / 3), seed: SEED });
});
