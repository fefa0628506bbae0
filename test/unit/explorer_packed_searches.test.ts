// @no-coverage: both engines' whole searches for every preset; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * The packed explorer (src/explore/packed/) and the core, each searching whole for every preset at
 * the tests' bound, compared by their results: verdict, depth, states and goals reached, with and
 * without --reduce por. Transition by transition the two are held together in
 * explorer_packed.test.ts; these searches are what that cannot show: that the two searches, with
 * their own visited sets and orders, end the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from '../../src/explore/search';
import { PRESETS } from '../../src/kernel/variants';
import { TEST_BOUND } from './explorer.helpers';

// One test a preset, so the core's unreduced search (the slowest of the four) is made once and
// serves as the reference for both the packed search and the core's reduced one.
for (const p of PRESETS) {
  test(`${p.name}: packed and core searches agree on verdict, states and depth at the tests' bound, with and without --reduce por`, () => {
    const packed = explore({ variant: p, bound: TEST_BOUND, engine: 'packed' });
    const core = explore({ variant: p, bound: TEST_BOUND, engine: 'core' });
    assert.equal(packed.engine, 'packed');
    assert.equal(core.engine, 'core');
    assert.equal(packed.verdict, core.verdict, p.name);
    assert.equal(packed.depth, core.depth, `${p.name}: depth`);
    // The same canonical identifications (vCPUs, roots, paused operations), and the packed
    // layout also merges states that differ only in what no transition reads (split-cache
    // counters, a stale sptep in a finished split frame: see packed/layout.ts), so it never has
    // more states, and at this bound only a handful fewer (pre-patch: 47,718 against 47,772).
    // A counterexample search stops at the first violation of its level, and the two engines
    // order a level's states differently, so only full searches are compared by count.
    if (packed.verdict !== 'violation') {
      assert.ok(packed.states <= core.states && packed.states > core.states * 0.99, `${p.name}: ${packed.states} packed states, ${core.states} core states`);
      // What the whole search reached (a stale TLB entry included) is the same.
      assert.deepEqual(packed.reached, core.reached, `${p.name}: goals reached`);
    }
    if (packed.violation) {
      assert.equal(packed.violation.kind, core.violation!.kind);
      assert.equal(packed.actions!.length, core.actions!.length);
    }

    // --reduce por: the two engines' reduced searches agree with each other, and the core's
    // reduced search with its unreduced one (`core` above) on all that the reduction must keep.
    const packedPor = explore({ variant: p, bound: TEST_BOUND, engine: 'packed', reduce: 'por' });
    const corePor = explore({ variant: p, bound: TEST_BOUND, engine: 'core', reduce: 'por' });
    assert.equal(packedPor.verdict, corePor.verdict, `${p.name}, por`);
    assert.equal(packedPor.depth, corePor.depth, `${p.name}, por: depth`);
    assert.equal(corePor.verdict, core.verdict, `${p.name}: the core's reduced verdict is its unreduced one`);
    assert.equal(corePor.depth, core.depth, `${p.name}: the core's reduced depth is its unreduced one`);
    if (packedPor.verdict !== 'violation') {
      assert.ok(packedPor.states <= corePor.states && packedPor.states > corePor.states * 0.99, `${p.name}, por: ${packedPor.states} packed states, ${corePor.states} core states`);
      assert.deepEqual(packedPor.reached, corePor.reached, `${p.name}, por: goals reached`);
      assert.deepEqual(corePor.reached, core.reached, `${p.name}: the core's reduced goals are its unreduced ones`);
      assert.ok(corePor.states <= core.states && corePor.transitions < core.transitions, `${p.name}: core ${corePor.states}/${corePor.transitions} reduced against ${core.states}/${core.transitions}`);
    }
  });
}
