// @no-coverage: whole searches on real and simulated threads, every reduction; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * The shared-memory search (src/explore/packed/shared.ts) with the reductions (`--workers N
 * --reduce symmetry | por | symmetry,por`): simulated threads (SimulatedThreads, their steps
 * interleaved by a seeded choice) and real ones (cli/parallel_explore.ts runParallelSearch()).
 *
 * Why the expected values are the single search's own, field for field: a reduction changes
 * only two functions of a state, its canonical form (the page symmetry, Canonicalizer) and its
 * candidates (partial-order reduction, PackedModel's `por`), and neither reads anything but the
 * state's own words. Every part of the shared search makes them from the options as the single
 * search does (search.ts reducedModel()): each searcher, the coordinator's initial state and its
 * counterexample rebuild. So each thread makes, from a parent, the successors the single search
 * makes, with the same candidate positions; the least (parent, position) key of each state and
 * the numbering in key order then give the single search's levels, as without a reduction
 * (explorer_parallel_shared.test.ts), and the same path is rebuilt from the same chain.
 *
 * The mutation: one searcher of three built without the reduction. Its successors are not put in
 * the reduced canonical form (symmetry: a state of an orbit inserted under another form than the
 * others' copies of it, so counted twice) or it offers accesses the reduction leaves out (por:
 * more transitions, more states); either way the counts differ from the single search's, or the
 * counterexample's chain holds a state the coordinator's canonical form cannot match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedSearcher, SimulatedThreads, sharedExplore, simulatedExplore } from '../../src/explore/packed/shared';
import { runParallelSearch } from '../../cli/parallel_explore';
import type { Bound } from '../../src/explore/scope';
import type { ExploreOptions, ExploreResult, Reduction } from '../../src/explore/result';
import { findPreset } from '../../src/kernel/variants';
import { TEST_BOUND, assertSearchersAgree, seeded, singleResult as single, withoutClock as comparable } from './explorer.helpers';

/** E = 2, 3 operations, 2 accesses, every kind (the reduction tests' bound: explorer_page_symmetry, explorer_por). */
const E2: Bound = { entries: 2, ops: 3, accesses: 2, pages: 'few' };
const REDUCTIONS: readonly Reduction[] = ['symmetry', 'por', 'symmetry,por'];
const MiB = 2 ** 20;

/**
 * The reduction does reduce at this bound (else the comparison below would show nothing about
 * it): fewer transitions than the unreduced search (por removes transitions; symmetry removes
 * states, and so their transitions). At a violation only the depth is compared with the
 * unreduced search (the counts before it depend on the level's order, which a reduction changes).
 */
function reduces(plain: ExploreResult, reduced: ExploreResult, how: string): void {
  assert.equal(reduced.verdict, plain.verdict, how);
  assert.equal(reduced.depth, plain.depth, how);
  if (plain.verdict !== 'violation') assert.ok(reduced.transitions < plain.transitions, `${how}: ${reduced.transitions} < ${plain.transitions} transitions`);
}

for (const [boundName, bound] of [['the tests\' bound', TEST_BOUND], ['E = 2, every kind', E2]] as const) {
  for (const name of ['never-flush', 'v7', 'pre-patch', 'mainline-2026'] as const) {
    test(`${name} at ${boundName}: 1, 2 and 3 simulated searchers with each reduction give the single search's result exactly`, () => runSimulated(name, bound, boundName));
  }
}

async function runSimulated(name: string, bound: Bound, boundName: string): Promise<void> {
  const plain = single({ variant: findPreset(name)!, bound });
  for (const reduce of REDUCTIONS) {
    const options: ExploreOptions = { variant: findPreset(name)!, bound, reduce };
    const want = single(options);
    const how = `${name} at ${boundName}, --reduce ${reduce}`;
    reduces(plain, want, how);
    assert.equal(want.reduce, reduce);
    await assertSearchersAgree(options, want, how, 31, 5);
  }
}

test('one searcher of three without the reduction changes the result (the comparison above sees a thread that reduces otherwise)', async () => {
  // never-flush stops at a violation (its counts are those before it in key order) and v7 is
  // clean (every state counted): a searcher making other canonical forms or other candidates
  // changes either. Searcher 1 is swapped for one made without `reduce`, interleaved as above.
  for (const name of ['never-flush', 'v7'] as const) {
    for (const reduce of REDUCTIONS) {
      const options: ExploreOptions = { variant: findPreset(name)!, bound: TEST_BOUND, reduce };
      const want = single(options);
      const group = new SimulatedThreads(options, 3, seeded(9), 4);
      group.list[1] = new SharedSearcher({ ...options, reduce: undefined }, 1, group.shared, 4);
      // It differs in its counts (TEST_BOUND, seed 9: v7 under symmetry 21,818 states for 18,145,
      // under por 51,249 for 50,756; never-flush under symmetry 10,015 before the violation for
      // 7,930), or its chain holds a state in a form the coordinator's model never makes (never-
      // flush under por: a fresh byte of 0 or 1 for a footprint mask) and the path is not rebuilt.
      const wrong = await sharedExplore(options, group, group.shared).then(comparable, (e: Error) => `failed: ${e.message}`);
      assert.notDeepEqual(wrong, comparable(want), `${name}, --reduce ${reduce}: a searcher without it`);
      // And the same group with every searcher reducing agrees (the swap is what differs).
      const right = await simulatedExplore(options, 3, seeded(9), 4);
      assert.deepEqual(comparable(right.result), comparable(want), `${name}, --reduce ${reduce}`);
    }
  }
});

for (const [name, verdict] of [['never-flush', 'violation'], ['v7', 'no violation within the bound']] as const) {
  test(`${name}: the main thread and a worker thread with each reduction give the single search's result`, { timeout: 600_000 }, async () => {
    const variant = findPreset(name)!;
    for (const reduce of REDUCTIONS) {
      const want = single({ variant, bound: TEST_BOUND, reduce, maxMemoryBytes: 256 * MiB, engine: 'packed' });
      assert.equal(want.verdict, verdict);
      for (const waitForThreads of [true, false]) {
        const threadLevels: number[] = [];
        const r = await runParallelSearch({ variant, bound: TEST_BOUND, maxMemoryBytes: 256 * MiB, workers: 2, waitForThreads, reduce, threadLevels });
        const how = `${name}, --reduce ${reduce}, ${waitForThreads ? 'the thread in every level' : 'the thread joining when started'}`;
        assert.deepEqual(comparable(r), comparable(want), how);
        // Waiting, the worker thread (searcher 1, its model made from the thread's data) took
        // part in every level: its reduction is the one compared.
        if (waitForThreads) assert.equal(threadLevels[1], threadLevels[0], how);
      }
    }
  });
}

test('the partitioned search refuses a reduction rather than ignore it', async () => {
  await assert.rejects(runParallelSearch({ variant: findPreset('v7')!, bound: TEST_BOUND, maxMemoryBytes: 64 * MiB, workers: 2, parallel: 'partitioned', reduce: 'symmetry' }), /partitioned search takes no reduction/);
});
