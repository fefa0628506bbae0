/** The seed (v7): no violation within the tests' bound, and a search that is exhaustive. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from '../../src/explore/search';
import { findPreset } from '../../src/kernel/variants';
import { TEST_BOUND } from './explorer.helpers';
import { DEFAULT_BOUND } from '../../src/explore/scope';

test('v7: no violation within the bound', () => {
  const r = explore({ variant: findPreset('v7')!, bound: TEST_BOUND });
  assert.equal(r.verdict, 'no violation within the bound');
  assert.ok(r.states > 1000 && r.transitions >= r.states - 1);
});

test('v7: no violation at the CLI\'s default bound (E = 4, every operation kind), searched whole', () => {
  const r = explore({ variant: findPreset('v7')!, bound: DEFAULT_BOUND });
  assert.equal(r.engine, 'packed');
  assert.equal(r.verdict, 'no violation within the bound');
  // Millions of states, and the search went deeper than any counterexample the others find.
  assert.ok(r.states > 1_000_000 && r.depth > 20, `${r.states} states, depth ${r.depth}`);
  // And it is clean having reached every hazard precondition, the seed's (a reused child with a
  // present non-leaf entry) among them: v7 met the hazard and flushed.
  assert.deepEqual(r.reached!.filter((g) => !g.reached).map((g) => g.goal), []);
  assert.ok(r.reached!.some((g) => g.goal === 'reused-child-present-nonleaf'));
});
