/**
 * An explorer result as text (src/view/explore_text.ts): how it stands, what the terminal prints and
 * what the review view shows, from one reading. The results are made up here, so each expectation
 * follows from the rules written beside it, not from a search's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GoalReach } from '../../src/explore/goals';
import type { ExploreResult } from '../../src/explore/result';
import { DEFAULT_BOUND } from '../../src/explore/scope';
import { exploreResultText, exploreStanding, exploreTableText, exploreView, missedGoals, reachedLines } from '../../src/view/explore_text';

const goal = (id: GoalReach['goal'], reached: boolean): GoalReach => ({ goal: id, reached, text: `the ${id} sentence` });

const base: ExploreResult = {
  variant: 'v7', bound: { ...DEFAULT_BOUND, ops: 2, accesses: 1 }, boundText: 'the bound', verdict: 'no violation within the bound',
  states: 1234, transitions: 5678, depth: 9, seconds: 1.5, statesPerSecond: 823, peakMemoryBytes: 3 * 2 ** 20, engine: 'packed',
};
const allReached: ExploreResult = { ...base, reached: [goal('eager-split', true), goal('reused-child', true)] };
const oneMissed: ExploreResult = { ...base, reached: [goal('eager-split', true), goal('reused-child', false)] };
const twoMissed: ExploreResult = { ...base, reached: [goal('eager-split', false), goal('reused-child', false)] };
const violation: ExploreResult = {
  ...base, variant: 'never-flush', verdict: 'violation', depth: 13, reached: [goal('eager-split', true), goal('reused-child', false)],
  violation: { kind: 'stale-tlb', strength: 'unmapped', vcpu: 0, gfn: 0, step: 12, message: 'vcpu0 keeps a stale entry' },
};
const stopped: ExploreResult = { ...base, verdict: 'incomplete', stopped: 'cancelled', reached: [goal('eager-split', false)] };

test('how a result stands: only a violation, or a clean search that reached every precondition, looks final', () => {
  assert.equal(exploreStanding(violation), 'violation');
  assert.equal(exploreStanding(stopped), 'incomplete');
  assert.equal(exploreStanding(oneMissed), 'clean-not-all-reached');
  assert.equal(exploreStanding(allReached), 'clean-all-reached');
  // A violation names no missed precondition, whatever the search had not reached yet.
  assert.deepEqual(missedGoals(violation), []);
  assert.deepEqual(missedGoals(twoMissed).map((g) => g.goal), ['eager-split', 'reused-child']);
});

test('the review view: badge, headline, the violation with its strength, the numbers and where it ran', () => {
  const run = { seconds: 2.04, where: 'a worker thread' };
  const v = exploreView(violation, run);
  assert.equal(v.standing, 'violation');
  assert.equal(v.status, 'violation');
  // Thousands grouped; seconds to one decimal (2.04 → "2.0").
  assert.deepEqual(v.lines, [
    'Violation: a shortest counterexample of 13 transitions.',
    'stale-tlb (unmapped): vcpu0 keeps a stale entry',
    '1,234 states, 5,678 transitions, depth 13, 2.0 s in a worker thread.',
  ]);
  assert.deepEqual([v.unreached, v.unreachedHint], [[], '']);

  const stop = exploreView(stopped, run);
  assert.equal(stop.status, 'incomplete');
  assert.equal(stop.lines[0], 'Incomplete: cancelled.');
});

test('the review view of a clean result short of preconditions: which, and how large a bound may reach them', () => {
  const run = { seconds: 1, where: 'the extension host' };
  const one = exploreView(oneMissed, run);
  assert.equal(one.status, 'no violation within the bound · 1 not reached');
  assert.match(one.lines[0], /too small to reach 1 hazard precondition \(below\): the hazards that need it cannot/);
  assert.deepEqual(one.unreached, ['the reused-child sentence']);
  // The bound allowed 2 operations and 1 access: plural, then singular.
  assert.match(one.unreachedHint, /this one allows 2 KVM operations and 1 guest access;/);

  const two = exploreView({ ...twoMissed, bound: { ...base.bound, ops: 1, accesses: 3 } }, run);
  assert.match(two.lines[0], /too small to reach 2 hazard preconditions \(below\): the hazards that need them cannot/);
  assert.match(two.unreachedHint, /this one allows 1 KVM operation and 3 guest accesses;/);

  const all = exploreView(allReached, run);
  assert.equal(all.status, 'no violation within the bound');
  assert.match(all.lines[0], /^No violation within the bound, and the search reached every hazard precondition/);
  assert.equal(all.unreachedHint, '');
});

test('the terminal: the verdict line, the bound, what was not reached, and the numbers', () => {
  const lines = exploreResultText(oneMissed).split('\n');
  assert.equal(lines[0], 'v7: no violation within the bound');
  assert.equal(lines[1], '  bound: the bound');
  assert.deepEqual(lines.slice(2, 5), [
    '  not reached within this bound:',
    '    - the reused-child sentence',
    '  so this bound cannot show the hazards that need them: a larger --ops or --accesses (now 2 and 1) may reach them',
  ]);
  // 3 MiB of state store, the packed engine's.
  assert.equal(lines[5], '  1234 states, 5678 transitions, depth 9, 1.50 s, 823 states/s, peak state store 3 MiB, packed engine');
  assert.deepEqual(reachedLines(allReached), ['  reached within this bound: every hazard precondition (eager-split, reused-child); still only within the bound']);
  assert.deepEqual(reachedLines(stopped)[0], '  not reached before it stopped:');

  const found = exploreResultText(violation, 'ce.json').split('\n');
  assert.equal(found[0], 'never-flush: VIOLATION');
  // No "not reached" lines for a violation; the counterexample and the core's replay are named.
  assert.equal(found[2], '  stale-tlb (unmapped): vcpu0 keeps a stale entry');
  assert.equal(found[3], '  shortest counterexample: 13 transitions, written to ce.json (replay: kvm-mmu-lab run ce.json)');
  assert.equal(found[5], '  the core replayed the counterexample and reported the same violation at the same transition');
});

test('the terminal table of every variant: a "not reached" column, and its legend only when a row has some', () => {
  const text = exploreTableText([allReached, { ...oneMissed, variant: 'if-reused' }]);
  const lines = text.split('\n');
  // Column widths: variant 9 ("if-reused"), verdict 29 ("no violation within the bound").
  assert.match(lines[0], /^variant {4}verdict {24}states {2}transitions/);
  assert.match(lines[1], /^v7 .* -$/);
  assert.match(lines[2], /^if-reused .* reused-child$/);
  assert.match(text, /\nnot reached: hazard preconditions no transition of the search reached/);
  assert.doesNotMatch(exploreTableText([allReached]), /not reached:/);
});
