/** Shared by the explorer tests: the small bound they search (the CLI's default is larger). */
import assert from 'node:assert/strict';
import type { Bound } from '../../src/explore/scope';
import type { ExploreResult, Reduction } from '../../src/explore/result';

/** E = 2, up to 4 KVM operations (faults, enable and clear dirty log) and 2 guest accesses. */
export const TEST_BOUND: Bound = { entries: 2, ops: 4, accesses: 2, pages: 'few', kinds: ['enable', 'clear'] };

/**
 * A reduced search keeps what a reduction must keep (docs/explorer.md, "Reductions"): the verdict,
 * the shortest depth, the goals, the violation's kind and strength, the counterexample's length;
 * and it says which reduction it ran.
 */
export function assertSameOutcome(plain: ExploreResult, reduced: ExploreResult, reduce: Reduction): void {
  assert.notEqual(plain.verdict, 'incomplete');
  assert.equal(reduced.verdict, plain.verdict);
  assert.equal(reduced.depth, plain.depth, 'the shortest depth is kept');
  assert.deepEqual(reduced.reached, plain.reached, 'the goals reached are kept');
  assert.equal(reduced.violation?.kind, plain.violation?.kind);
  assert.equal(reduced.violation?.strength, plain.violation?.strength);
  assert.equal(reduced.actions?.length, plain.actions?.length);
  assert.equal(reduced.reduce, reduce);
}
