/**
 * What a clean bound could not reach (src/explore/goals.ts): the goals both engines record, and
 * what a result says about them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from '../../src/explore/search';
import { DEFAULT_BOUND, type Bound } from '../../src/explore/scope';
import { goalReport, GOALS, G_SPLIT, G_REUSED_NONLEAF, unreached } from '../../src/explore/goals';
import { findPreset } from '../../src/kernel/variants';

/** The Explore Variant… "Small" bound before #18: E = 4, 2 KVM operations, 1 guest access. */
const SMALL: Bound = { ...DEFAULT_BOUND, ops: 2, accesses: 1 };

test('never-flush within 2 operations and 1 access: clean, and the seed\'s precondition unreached', () => {
  // A split can meet a reused child with a present non-leaf entry only after (1) a fault before
  // logging maps the region huge through one root (an operation and an access), (2) logging is
  // enabled (an operation), (3) a 4K fault through the other root builds the shared level-2 SP
  // with a link to a level-1 SP (an operation and an access): 3 operations and 2 accesses. With
  // 2 and 1 the hazard cannot happen, whatever the variant does, and the result must say so.
  for (const engine of ['packed', 'core'] as const) {
    const r = explore({ variant: findPreset('never-flush')!, bound: SMALL, engine });
    assert.equal(r.verdict, 'no violation within the bound', engine);
    const missing = unreached(r.reached).map((g) => g.goal);
    assert.ok(missing.includes('reused-child-present-nonleaf'), `${engine}: unreached ${missing.join(', ')}`);
    // The same reasoning for a reused child at all (step 3 is what builds it), and the fault in
    // the split's lock drop needs a huge page first (step 1) and a second access.
    assert.ok(missing.includes('reused-child') && missing.includes('fault-in-split-window'), `${engine}: ${missing.join(', ')}`);
    // Enable within 2 operations does split a huge page a fault mapped: that much is reached.
    assert.ok(r.reached!.find((g) => g.goal === 'eager-split')!.reached, engine);
  }
});

test('the goal report: every goal for a variant that may skip the split\'s flush, not that one for one that never does', () => {
  const all = goalReport(findPreset('v7')!, G_SPLIT | G_REUSED_NONLEAF);
  // The split scope's goals: all but the guest-tables scope's own.
  assert.deepEqual(all.map((g) => g.goal), GOALS.filter((g) => !g.scope).map((g) => g.id));
  assert.deepEqual(goalReport(findPreset('v7')!, 0, 'guest-tables').map((g) => g.goal), ['guest-table-changed', 'linked-child-mismatch']);
  assert.deepEqual(all.filter((g) => g.reached).map((g) => g.goal), ['eager-split', 'reused-child-present-nonleaf']);
  // pre-patch flushes in drop_large_spte() unconditionally: "a split skipped its flush" cannot apply.
  assert.ok(!goalReport(findPreset('pre-patch')!, 0).some((g) => g.goal === 'split-flush-skipped'));
});
