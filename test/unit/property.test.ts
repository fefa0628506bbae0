/**
 * Property tests over random scenarios in small scope (see random_scenarios.ts). A scenario the
 * file checks or the runner refuse is not a counterexample: it is counted with its reason, each
 * test prints how many it checked and how many were refused, and fails when fewer than
 * MIN_CHECKED_SHARE were checked (the generator means every one to run: random_scenarios.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScenarioRun } from '../../src/run/runner';
import { auditStructure } from '../../src/checks/structure';
import { runScenario } from '../../src/run/run';
import { traceText } from '../../src/view/trace_text';
import { Walkthrough } from '../../src/run/walkthrough';
import { findPreset, PRESETS } from '../../src/kernel/variants';
import type { Scenario } from '../../src/scenario/types';
import { scenarioArb, Tally } from './random_scenarios';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const SEED = Number(process.env.PROPERTY_SEED ?? 20221122);

const run = (s: Scenario, preset: string) => runScenario(s, { variant: findPreset(preset)! });

test('structural sanity holds after every step, for every preset', (t) => {
  const tally = new Tally('structural sanity (scenario, preset)');
  fc.assert(fc.property(scenarioArb, fc.constantFrom(...PRESETS.map((p) => p.name)), (s, preset) => {
    tally.run(s, () => {
      const r = new ScenarioRun(s, { variant: findPreset(preset)! });
      let step;
      while ((step = r.step())) {
        const problems = auditStructure(r.machine.state);
        if (problems.length) throw new Error(`${preset} after step ${step.index} (${step.text}): ${problems[0]}`);
      }
    });
  }), { numRuns: RUNS, seed: SEED });
  tally.assertEnough((l) => t.diagnostic(l));
});

test('the safe presets report no violation on random runs (bare metal)', (t) => {
  const tally = new Tally('safe presets (scenario, preset)');
  fc.assert(fc.property(scenarioArb, (s) => {
    for (const p of PRESETS.filter((x) => x.safe)) {
      const r = tally.run(s, () => run(s, p.name));
      if (r && r.verdict !== 'pass') throw new Error(`${p.name}: ${r.violations[0].message}\n${JSON.stringify(s.operations)}`);
    }
  }), { numRuns: RUNS, seed: SEED });
  tally.assertEnough((l) => t.diagnostic(l));
});

test('never-flush violations replay: the same scenario gives the same violations again', (t) => {
  const tally = new Tally('never-flush replay');
  let found = 0;
  fc.assert(fc.property(scenarioArb, (s) => {
    const a = tally.run(s, () => run(s, 'never-flush'));
    if (!a || a.verdict === 'pass') return;
    found++;
    const b = run(s, 'never-flush');
    assert.deepEqual(b.violations, a.violations);
  }), { numRuns: RUNS, seed: SEED });
  tally.assertEnough((l) => t.diagnostic(l));
  t.diagnostic(`never-flush violations: ${found} of ${tally.checked} scenarios`);
  assert.ok(found > 0, 'the random scenarios found no never-flush violation at all: the generator is too weak');
});

test('traces are deterministic, and stepping back and forth returns identical states', (t) => {
  const tally = new Tally('determinism and stepping back');
  fc.assert(fc.property(scenarioArb, fc.array(fc.nat(), { minLength: 5, maxLength: 12 }), (s, jumps) => {
    const a = tally.run(s, () => run(s, 'v7'));
    if (!a) return;
    assert.equal(traceText(run(s, 'v7'), false), traceText(a, false));
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
  tally.assertEnough((l) => t.diagnostic(l));
});

test('a tally fails when fewer than its share were checked, and names each refusal', () => {
  const s = fc.sample(scenarioArb, { numRuns: 1, seed: SEED })[0];
  // Root B maps only L2 16..31: an access at L2 40 is one the file checks refuse (accessesMeaningful).
  const unmapped: Scenario = { ...s, operations: [{ op: 'access', vcpu: 0, root: 'B', addr: 40, kind: 'read' }] };
  const tally = new Tally('self-test');
  assert.equal(tally.run(s, () => run(s, 'v7'))?.verdict !== undefined, true);
  assert.equal(tally.run(unmapped, () => run(unmapped, 'v7')), null);
  assert.equal(tally.checked, 1);
  assert.equal(tally.refused, 1);
  const lines: string[] = [];
  assert.throws(() => tally.assertEnough((l) => lines.push(l)), /self-test: 1 of 2 checked, 1 refused[\s\S]*1 x accessesMeaningful: root B has no guest mapping of L2 N/);
  assert.match(lines[0], /^self-test: 1 of 2 checked/);
  // An empty tally fails too: a property that saw nothing checked nothing.
  assert.throws(() => new Tally('empty').assertEnough(() => {}), /empty: 0 of 0 checked/);
  // And a lower share lets one refusal in two through.
  assert.doesNotThrow(() => { const half = new Tally('half', 0.5); half.run(s, () => 1); half.run(unmapped, () => 1); half.assertEnough(() => {}); });
});
