/**
 * The packed search's machinery (src/explore/packed/search.ts: successors made in their waiting
 * slots, looked up 64 at a time, states stored in the words they use, the state cap) against the
 * plainest breadth-first search over the same packed model: one state at a time, each state a
 * full-size copy, the visited set a Set of strings, the cap checked after every expanded state.
 *
 * Both expand states in the same order and number successors in the same order, so they must
 * agree exactly: same verdict, same number of states and of transitions, at a full search, at a
 * violation, and at every state cap (a cap stops after the state whose successors reached it).
 * A state stored or looked up wrong (a word past its used length, a batch inserted out of order,
 * the cap checked between two successors of one state) changes one of the counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeScope, DEFAULT_BOUND, type Bound } from '../../src/explore/scope';
import { PackedModel } from '../../src/explore/packed/model';
import { Canonicalizer, PackedSearch } from '../../src/explore/packed/search';
import { findPreset, PRESET_NAMES } from '../../src/kernel/variants';
import { TEST_BOUND } from './explorer.helpers';

interface Outcome { verdict: string; states: number; transitions: number }

function plainSearch(variantName: string, bound: Bound, maxStates = Infinity): Outcome {
  const scope = makeScope(bound);
  const model = new PackedModel(scope, findPreset(variantName)!);
  const canon = new Canonicalizer(model.L);
  const key = (w: Int32Array) => w.join(',');
  const queue = [canon.canon(model.initial(new Uint8Array(model.L.size))).slice()];
  const seen = new Set([key(queue[0])]);
  const cands = new Int32Array(scope.menu.length + 2 + model.L.nf);
  let transitions = 0;
  for (let i = 0; i < queue.length; i++) {
    const src = queue[i];
    const srcBytes = new Uint8Array(src.buffer);
    const n = model.candidates(srcBytes, 0, cands, canon.symmetries(srcBytes, 0));
    for (let k = 0; k < n; k++) {
      if (!model.apply(src, 0, cands[k])) continue;
      transitions++;
      if (model.violation) return { verdict: 'violation', states: queue.length, transitions };
      const c = canon.canon(model.s);
      if (!seen.has(key(c))) {
        seen.add(key(c));
        queue.push(c.slice());
      }
    }
    if (queue.length >= maxStates) return { verdict: 'incomplete', states: queue.length, transitions };
  }
  return { verdict: 'no violation within the bound', states: queue.length, transitions };
}

function packedSearch(variantName: string, bound: Bound, maxStates?: number): Outcome {
  const search = new PackedSearch({ variant: findPreset(variantName)!, bound, maxStates });
  while (!search.run(1000));
  const r = search.result();
  return { verdict: r.verdict, states: r.states, transitions: r.transitions };
}

test('the packed search = a plain one-state-at-a-time search: whole searches at the tests\' bound, every preset', () => {
  for (const v of PRESET_NAMES) {
    const plain = plainSearch(v, TEST_BOUND);
    assert.deepEqual(packedSearch(v, TEST_BOUND), plain, v);
    // Both would agree on a search that went nowhere: each has more than its first level (the
    // whole searches hold tens of thousands of states; never-flush stops at its violation, 13
    // transitions deep).
    assert.ok(plain.states > 1000, `${v}: ${plain.states} states`);
  }
});

test('the packed search = a plain one: every kind at E = 2 (paused frames, so states of several lengths)', () => {
  const bound: Bound = { entries: 2, ops: 3, accesses: 2, pages: 'few' };
  for (const v of ['v7', 'never-flush']) {
    const plain = plainSearch(v, bound);
    assert.deepEqual(packedSearch(v, bound), plain, v);
    // Without paused operations every state would have one length and the store's bookkeeping
    // would not be exercised: at this bound invalidations and splits overlap other operations.
    assert.ok(plain.states > 1000, `${v}: ${plain.states} states`);
  }
});

test('the packed search stops at a state cap exactly where a plain one does', () => {
  // 1: the initial state alone reaches it (checked before any lookup); 64 and 65: at and just
  // past one batch of successors; the others land inside batches at the default bound.
  for (const cap of [1, 2, 64, 65, 1000, 4321, 20000]) {
    const plain = plainSearch('v7', DEFAULT_BOUND, cap);
    assert.equal(plain.verdict, 'incomplete');
    assert.deepEqual(packedSearch('v7', DEFAULT_BOUND, cap), plain, `cap ${cap}`);
  }
});
