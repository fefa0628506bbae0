/**
 * The shadow walks (and whether each vCPU is inside KVM) the guest-tables packed model keeps for
 * the state the search expands
 * (PackedGtModel.expanding() and parentWalk(), docs/explorer.md "The access's lookups made once",
 * gtperf28): a model told which buffer holds the parent, and that buffer loaded over with one
 * state after another as the search does, must make every successor, violation and goal that a
 * model keeping nothing makes from its own copy of each state. The states are the core search's,
 * met in breadth-first order, so consecutive states differ in their SPs and TLBs: a walk kept past
 * its state (expanding() not moving its stamp on) reads the last state's leaf and gives another
 * successor (mutation: `++this.stamp` in expanding() made `this.stamp` fails the first case at its
 * second state, action 4: "successor"). The core searches stop at 3,000 states (of 9,359 and
 * 22,002), to keep the test short.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findPreset } from '../../src/kernel/variants';
import { makeScope, type Bound } from '../../src/explore/scope';
import { PackedGtModel } from '../../src/explore/packed_gt/model';
import { abstractGtRaw } from '../../src/explore/packed_gt/abstraction';
import { gtCandidateLists, gtCandidates } from '../../src/explore/packed_gt/search';
import { gtBound, gtCoreSearch, text } from './explorer_packed_gt.helpers';

test('the walks kept for the parent being expanded give the successors, violations and goals of a model that keeps none, every state loaded over one buffer', () => {
  const cases: Array<[string, Bound]> = [
    // The clean preset at E = 4 (four addresses, 16 accesses a state: each address walked for
    // several of them), and the unfixed preset with every menu option (its violations, the
    // stopped faults, deletion and the guest's write as well as the VMM's).
    ['mainline-2026', { entries: 4, ops: 2, accesses: 2, scope: 'guest-tables' }],
    ['mainline-2026-pre', gtBound(2, { writes: 'both', faultWindow: true, deleteTables: true })],
  ];
  for (const [name, bound] of cases) {
    const variant = findPreset(name)!;
    const scope = makeScope(bound);
    const kept = new PackedGtModel(scope, variant);
    const plain = new PackedGtModel(scope, variant);
    const L = kept.L;
    const lists = gtCandidateLists(scope);
    const cands = new Int32Array(scope.menu.length + 1 + L.nf);
    const buf = new Uint8Array(L.size);
    const seen = new Set<string>();
    let states = 0;
    let successors = 0;
    gtCoreSearch(variant, bound, (n, key) => {
      if (seen.has(key)) return;
      seen.add(key);
      const words = abstractGtRaw(L, n);
      buf.set(words);
      kept.expanding(buf);
      states++;
      const count = gtCandidates(kept, lists, buf, cands);
      for (let k = 0; k < count; k++) {
        const a = cands[k];
        const rk = kept.apply(buf, a);
        const sk = rk === true ? text(kept.s) : '';
        const vk = JSON.stringify(kept.violation);
        const gk = kept.reached;
        const rp = plain.apply(words.slice(), a);
        const where = `${name}, state ${states}, action ${a}`;
        assert.equal(rk, rp, `${where}: enabled`);
        if (rp === true) {
          successors++;
          assert.equal(sk, text(plain.s), `${where}: successor`);
        }
        assert.equal(vk, JSON.stringify(plain.violation), `${where}: violation`);
        assert.equal(gk, plain.reached, `${where}: goals`);
        // The parent is never written: the next candidate reads it as loaded.
        assert.equal(text(buf), text(words), `${where}: the parent unchanged`);
      }
    }, 3000);
    assert.ok(states > 100 && successors > states, `${name}: ${states} states, ${successors} successors`);
  }
});

test('a model not told of a parent keeps no walk: the same buffer written between two applies gives the second state\'s successors', () => {
  // The buffer holds state A, then (without expanding()) state B: the model must walk B, not A.
  const variant = findPreset('mainline-2026')!;
  const bound: Bound = { entries: 4, ops: 2, accesses: 2, scope: 'guest-tables' };
  const scope = makeScope(bound);
  const model = new PackedGtModel(scope, variant);
  const plain = new PackedGtModel(scope, variant);
  const L = model.L;
  const lists = gtCandidateLists(scope);
  const cands = new Int32Array(scope.menu.length + 1 + L.nf);
  const buf = new Uint8Array(L.size);
  const seen = new Set<string>();
  let compared = 0;
  gtCoreSearch(variant, bound, (n, key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const words = abstractGtRaw(L, n);
    buf.set(words);
    const count = gtCandidates(model, lists, buf, cands);
    for (let k = 0; k < count; k++) {
      const r = model.apply(buf, cands[k]);
      assert.equal(r, plain.apply(words, cands[k]));
      if (r === true) { assert.equal(text(model.s), text(plain.s)); compared++; }
    }
  }, 2000);
  assert.ok(compared > 1000, `${compared} successors compared`);
});
