/**
 * The shared-memory search (src/explore/packed/shared.ts) without threads: N searchers in one
 * thread over the same SharedArrayBuffers, their steps interleaved by a seeded choice
 * (SimulatedThreads), so that the copies of a state arrive in orders real threads could make.
 *
 * Why the expected values are the single search's own (src/explore/packed/search.ts): the single
 * search numbers a level's states by the least (parent's number, candidate position) among the
 * transitions that reach them, and stops at the first violating transition in that order. The
 * shared search keeps each new state's least key by an atomic min, whichever searcher inserted it
 * first, and numbers the level by a counting sort of those keys (partition.ts); the least
 * violating key is kept the same way. So for any N and any interleaving, the counts, the depth,
 * the goals and the counterexample must be the single search's, field for field, and at a
 * violation the states and transitions counted before it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_BIAS, OLD, countKeys, numberLevel, placeKeys, placeSpilled, rehashInto, runStarts, simulatedExplore, sortRuns } from '../../src/explore/packed/shared';
import type { ExploreOptions } from '../../src/explore/result';
import { findPreset } from '../../src/kernel/variants';
import { TEST_BOUND, seeded, singleResult as single, withoutClock as comparable } from './explorer.helpers';


test('numberLevel puts the states of two threads in key order, each with its parent, and marks their keys old', () => {
  // span 4, 3 parents. Four states, key words at 0, 4, 8, 12 and words after them:
  // ref 1: parent 2, position 1 (key 9); ref 5: parent 0, position 3 (key 3);
  // ref 9: parent 1, position 0 (key 4); ref 13: parent 0, position 1 (key 1).
  // Thread 0 inserted refs 1 and 5, thread 1 refs 9 and 13 (each in its own order).
  const store = new Int32Array(16);
  for (const [ref, key] of [[1, 9], [5, 3], [9, 4], [13, 1]]) store[ref - 1] = key + KEY_BIAS;
  const { places, parents } = numberLevel(store, [Int32Array.of(1, 5), Int32Array.of(9, 13)], 4, 4, 3);
  // Key order 1, 3, 4, 9: refs 13, 5, 9, 1; parents 0, 0, 1, 2.
  assert.deepEqual([...places], [13, 5, 9, 1]);
  assert.deepEqual([...parents], [0, 0, 1, 2]);
  for (const ref of [1, 5, 9, 13]) assert.equal(store[ref - 1], OLD, `ref ${ref}: a later copy must lower nothing`);
});

test('the threads\' numbering (count, run starts, place, sort runs) gives numberLevel\'s order when a parent\'s children are split between threads out of order', () => {
  // span 4, 2 parents. Thread 0 inserted ref 1 (parent 0, position 3: key 3), ref 5 (parent 1,
  // position 2: key 6), ref 9 (parent 0, position 2: key 2); thread 1 ref 13 (parent 0,
  // position 0: key 0) and ref 17 (parent 1, position 1: key 5). Key order: 0, 2, 3, 5, 6, so
  // refs 13, 9, 1, 17, 5 with parents 0, 0, 0, 1, 1. Placed by (parent, thread) runs alone,
  // parent 0 would read 1, 9, 13 (thread 0's in its order, then thread 1's): the runs' sort is
  // what makes it right.
  const make = () => {
    const store = new Int32Array(20);
    for (const [ref, key] of [[1, 3], [5, 6], [9, 2], [13, 0], [17, 5]]) store[ref - 1] = key + KEY_BIAS;
    return store;
  };
  const fresh = [Int32Array.of(1, 5, 9), Int32Array.of(13, 17)];
  const store = make();
  const counts = [new Int32Array(2), new Int32Array(2)];
  const keys = [new Int32Array(3), new Int32Array(2)];
  // Thread 1 first: the order the threads run in must not matter.
  for (const t of [1, 0]) countKeys(store, fresh[t], fresh[t].length, keys[t], counts[t], 4);
  assert.deepEqual(counts.map((c) => [...c]), [[2, 1], [1, 1]]);
  const parentStart = new Int32Array(3);
  assert.equal(runStarts(counts, 2, parentStart), 5);
  assert.deepEqual([...parentStart], [0, 3, 5]);
  const places = new Int32Array(5);
  const sortedKeys = new Int32Array(5);
  for (const t of [1, 0]) placeKeys(fresh[t], keys[t], fresh[t].length, counts[t], places, sortedKeys, 4);
  const parentOf = new Int32Array(5);
  sortRuns(parentStart, places, sortedKeys, parentOf, 1, 2);
  sortRuns(parentStart, places, sortedKeys, parentOf, 0, 1);
  assert.deepEqual([...places], [13, 9, 1, 17, 5]);
  assert.deepEqual([...parentOf], [0, 0, 0, 1, 1]);
  for (const ref of [1, 5, 9, 13, 17]) assert.equal(store[ref - 1], OLD);
  // And numberLevel() (the coordinator's own) agrees.
  const one = numberLevel(make(), fresh, 5, 4, 2);
  assert.deepEqual([...one.places], [...places]);
  assert.deepEqual([...one.parents], [...parentOf]);
});

test('the table grown by threads, each on its range of slots, then the spilled pairs: every pair found from its home', () => {
  // 64 pairs from 128 slots into 256, hashes chosen so that clusters cross the ranges' ends: 16
  // pairs each of new homes 31, 63, 127 (across 128, the end of the first of 2 ranges) and 250
  // (across the table's end: it wraps to slot 0). A pair must be reachable from its home by
  // linear probing with no empty slot between (what a lookup walks).
  const old = new Int32Array(2 * 128);
  let n = 0;
  for (const home of [31, 63, 127, 250]) {
    for (let k = 0; k < 16; k++) {
      const h = home + 256 * (k + 1);
      let slot = h & 127;
      while (old[slot << 1] !== 0) slot = (slot + 1) & 127;
      old[slot << 1] = ++n;
      old[(slot << 1) + 1] = h;
    }
  }
  for (const threads of [1, 2, 3]) {
    const table = new Int32Array(2 * 256);
    const spilled: Int32Array[] = [];
    for (let t = threads - 1; t >= 0; t--) spilled.push(rehashInto(old, table, t, threads));
    placeSpilled(table, spilled);
    const seen = new Set<number>();
    for (let slot = 0; slot < 256; slot++) {
      const id = table[slot << 1];
      if (id === 0) continue;
      seen.add(id);
      for (let s = table[(slot << 1) + 1] & 255; s !== slot; s = (s + 1) & 255) assert.notEqual(table[s << 1], 0, `${threads} threads: a gap before pair ${id}`);
    }
    assert.equal(seen.size, 64, `${threads} threads`);
  }
});

for (const [name, verdict, depth] of [['never-flush', 'violation', 13], ['v7', 'no violation within the bound', 0], ['pre-patch', 'no violation within the bound', 0]] as const) {
  test(`${name}: 1, 2 and 3 searchers over one shared table give the single search's result exactly`, async () => {
    const options: ExploreOptions = { variant: findPreset(name)!, bound: TEST_BOUND };
    const want = single(options);
    // The single search's own verdict at the tests' bound (docs/explorer.md: never-flush's
    // shortest counterexample is 13 transitions; v7 and pre-patch are clean).
    assert.equal(want.verdict, verdict);
    if (depth) assert.equal(want.depth, depth);
    for (const n of [1, 2, 3]) {
      // Blocks of the threads' size, each searcher in turn.
      const plain = await simulatedExplore(options, n);
      assert.deepEqual(comparable(plain.result), comparable(want), `${n} searchers in turn`);
      // Blocks of 4 parents, the searchers' steps (1 to 3 parents) in a seeded order: copies of a
      // state arrive from later parents before earlier ones.
      const mixed = await simulatedExplore(options, n, seeded(7 + n), 4);
      assert.deepEqual(comparable(mixed.result), comparable(want), `${n} searchers interleaved`);
    }
  });
}

test('searchers that join at later levels (as the CLI\'s threads join once started) give the single search\'s result exactly', async () => {
  // The CLI's main thread searches the first levels alone and each worker thread takes part from
  // the first level after it started (SharedGroup). A level's states are counted and placed by the
  // threads that inserted them, and the runs' sort and the table's growth are split among the
  // threads of that level only (k-th of them, part k of as many), so a searcher that is absent
  // from some levels must change nothing. Searcher 1 joins at level 3, searcher 2 at level 8; the
  // seeded interleaving and blocks of 4 as above, and blocks of 1 so that the table also grows
  // within levels while only some searchers take part.
  for (const name of ['never-flush', 'v7'] as const) {
    const options: ExploreOptions = { variant: findPreset(name)!, bound: TEST_BOUND };
    const want = single(options);
    for (const block of [4, 1]) {
      const { result, group, levels } = await simulatedExplore(options, 3, seeded(21 + block), block, false, [0, 3, 8]);
      assert.deepEqual(comparable(result), comparable(want), `${name}, blocks of ${block}`);
      // Searcher 0 in every level begun, 1 from the fourth, 2 from the ninth (`levels` counts the
      // levels reported: every one begun but the one that meets a violation).
      const begun = group.levelsIn[0];
      assert.ok(begun === levels + 1 || begun === levels, `${name}: ${begun} levels begun, ${levels} numbered`);
      assert.deepEqual(group.levelsIn, [begun, begun - 3, begun - 8], name);
    }
  }
});

test('the table grows within a level when a segment fills it, and the result is unchanged', async () => {
  // 2 searchers, blocks of 1 parent: the least table is 2^12 slots (8 times a block's
  // successors a searcher: 2 * 1 * 256 = 512), and a segment may fill 5/8 of it (2,560 states);
  // the table is grown before each segment to stay at most half full, so a level that adds more
  // than the room left ends its segment before its last parent (v7 at the tests' bound has
  // 50,756 states in 43 levels, the widest a few thousand).
  const options: ExploreOptions = { variant: findPreset('v7')!, bound: TEST_BOUND };
  const want = single(options);
  const { result, group, levels } = await simulatedExplore(options, 2, seeded(11), 1);
  assert.deepEqual(comparable(result), comparable(want));
  // A segment for each level, one for the last (no new states), and more when the table grew.
  assert.ok(group.segments > levels + 1, `${group.segments} segments for ${levels} levels`);
});

test('keeping the first key that reaches a state instead of the least changes the result (the interleaving reaches the atomic min)', async () => {
  // The same interleaving as above with the min left out: a state first reached from a later
  // parent keeps that parent, the level's numbering differs, and so do the counts before the
  // violation. If this passed with equal results, the tests above would not show the min works.
  const options: ExploreOptions = { variant: findPreset('never-flush')!, bound: TEST_BOUND };
  const want = single(options);
  const wrong = await simulatedExplore(options, 3, seeded(10), 4, true);
  assert.notDeepEqual(comparable(wrong.result), comparable(want));
});

test('the cap on states stops the shared search as incomplete at a level\'s end', async () => {
  const options: ExploreOptions = { variant: findPreset('v7')!, bound: TEST_BOUND, maxStates: 1000 };
  const { result } = await simulatedExplore(options, 2);
  assert.equal(result.verdict, 'incomplete');
  assert.match(result.stopped ?? '', /state cap of 1000/);
  assert.ok(result.states >= 1000);
});

test('the shared search over its memory budget stops, naming the whole budget', async () => {
  // One budget for every thread (one store, one table): 16 MiB. The store grows by 4 MiB chunks
  // and --pages all at E = 4 has millions of states, so the budget is crossed within a few levels.
  const options: ExploreOptions = { variant: findPreset('v7')!, bound: { entries: 4, ops: 4, accesses: 2, pages: 'all' }, maxMemoryBytes: 16 * 2 ** 20 };
  const { result } = await simulatedExplore(options, 2);
  assert.equal(result.verdict, 'incomplete');
  assert.match(result.stopped ?? '', /stopped at the memory cap: .* the cap is 16 MiB/);
});
