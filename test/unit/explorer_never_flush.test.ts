/**
 * The explorer finds the seed's hazard for never-flush on its own, and the counterexample it
 * writes is a scenario that the scenario runner replays to the same violation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterexampleScenario } from '../../src/explore/counterexample';
import { explore } from '../../src/explore/search';
import { parseScenario } from '../../src/scenario/parse';
import { runScenario } from '../../src/run/run';
import { findPreset } from '../../src/kernel/variants';
import { TEST_BOUND } from './explorer.helpers';
import { DEFAULT_BOUND } from '../../src/explore/scope';

test('never-flush: a shortest counterexample, the reused-partial hazard, that replays', () => {
  const variant = findPreset('never-flush')!;
  const r = explore({ variant, bound: TEST_BOUND, audit: false });
  assert.equal(r.verdict, 'violation');
  assert.equal(r.violation!.kind, 'stale-tlb');
  assert.equal(r.violation!.strength, 'unmapped');
  assert.ok(r.actions && r.actions.length === r.depth);
  const json = counterexampleScenario(variant, TEST_BOUND, r.actions!, r.violation);
  const s = parseScenario(JSON.stringify(json, null, 2), 'counterexample.json');
  const t = runScenario(s, { variant });
  // The hazard's shape: a split reused a child SP that a fault had built (partially populated),
  // and skipped the flush.
  assert.ok(t.counters.spsReused >= 1 && t.counters.splits >= 1 && t.counters.splitFlushes === 0, JSON.stringify(t.counters));
  assert.equal(t.verdict, 'violation');
  assert.equal(t.violations[0].kind, r.violation!.kind);
  assert.equal(t.violations[0].strength, r.violation!.strength);
  assert.equal(t.violations[0].gfn, r.violation!.gfn);
  // The same scenario passes under v7: the split flushes.
  assert.equal(runScenario(s, { variant: findPreset('v7')! }).verdict, 'pass');
});

test('never-flush at the CLI\'s default bound (E = 4, every kind): the hazard found, the core agrees, it replays', () => {
  const variant = findPreset('never-flush')!;
  const r = explore({ variant, bound: DEFAULT_BOUND });
  assert.equal(r.verdict, 'violation');
  assert.equal(r.violation!.kind, 'stale-tlb');
  const s = parseScenario(JSON.stringify(counterexampleScenario(variant, DEFAULT_BOUND, r.actions!, r.violation)), 'counterexample.json');
  const t = runScenario(s, { variant });
  assert.equal(t.violations[0].kind, r.violation!.kind);
  assert.equal(t.violations[0].gfn, r.violation!.gfn);
  // The split reused an SP and did not flush: the seed's hazard, not some other bug.
  assert.ok(t.counters.spsReused >= 1 && t.counters.splitFlushes === 0, JSON.stringify(t.counters));
  // The search reached the hazard's precondition on its way.
  assert.ok(r.reached!.find((g) => g.goal === 'reused-child-present-nonleaf')!.reached);
});
