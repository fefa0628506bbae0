// @no-coverage: whole searches on real and simulated threads; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * Hash compaction in the shared-memory search (`--workers N --hash-compact`, src/explore/packed/
 * shared.ts; docs/explorer.md "Reductions and hash compaction on several workers"): simulated threads and real
 * ones.
 *
 * Why the expected values are the single hash-compaction search's (search.ts), field for field,
 * omission bound included: the shared search keeps the earlier levels' 64-bit signatures (the
 * single search's hash: hashWords() low, hashWordsHigh() high, 0 stored as 1) in a table no
 * thread writes during a level, and the level's new states exactly, with their least key, as
 * without compaction. A successor is dropped when its signature is an earlier level's (as the
 * single search drops it) or when it is already new in the level (the same state). So while no
 * two states of one level share a signature, which holds at these bounds (the single search's
 * counts equal the exact search's, asserted below), the levels are the single search's, numbered
 * in the same key order; the counterexample's chain is made again from the candidate positions of
 * the keys, as the single search makes it from its actions, and goes through the same rebuild.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunksTaken, freeChunks, simulatedExplore } from '../../src/explore/packed/shared';
import { runParallelSearch } from '../../cli/parallel_explore';
import type { ExploreOptions, Reduction } from '../../src/explore/result';
import { findPreset } from '../../src/kernel/variants';
import { TEST_BOUND, assertSearchersAgree, seeded, singleResult as single, withoutClock as comparable } from './explorer.helpers';

const MiB = 2 ** 20;

/** The counts that an exact search and a collision-free hash-compaction search share. */
function counts(r: { verdict: string; states: number; transitions: number; depth: number; actions?: number[] }): unknown {
  return { verdict: r.verdict, states: r.states, transitions: r.transitions, depth: r.depth, actions: r.actions };
}

for (const name of ['never-flush', 'v7', 'pre-patch'] as const) {
  test(`${name}: 1, 2 and 3 simulated searchers with hash compaction (and with each reduction) give the single hash-compaction search's result exactly`, async () => {
    for (const reduce of [undefined, 'symmetry', 'por', 'symmetry,por'] as Array<Reduction | undefined>) {
      const options: ExploreOptions = { variant: findPreset(name)!, bound: TEST_BOUND, hashCompact: true, ...(reduce ? { reduce } : {}) };
      const want = single(options);
      const how = `${name}, --hash-compact${reduce ? ` --reduce ${reduce}` : ''}`;
      // No collision at this bound: the single compaction search counts what the exact one does.
      assert.deepEqual(counts(want), counts(single({ ...options, hashCompact: false })), `${how}: the single searches agree`);
      assert.ok(want.hashCompaction, how);
      // Searchers joining later grow the level's table within a level; the old levels' table
      // grows at levels' ends.
      await assertSearchersAgree(options, want, how, 17, 13);
    }
  });
}

test('hash compaction frees the chunks of expanded levels: the store takes a few chunks, not one a level a thread', async () => {
  // Each searcher starts a chunk at each level it inserts in (a chunk holds one level), so the
  // store would take about levels x searchers chunks (v7 at the tests' bound: 43 levels, 3
  // searchers) if none were given back. Expanding level d reads level d's chunks and fills level
  // d + 1's, at most one of each a searcher here (a level is far less than a 4 MiB chunk), and
  // every chunk of a level before d is free: so at most 2 x 3 chunks are ever needed, plus
  // chunk 0 (the initial state's) until it is freed at level 1.
  const options: ExploreOptions = { variant: findPreset('v7')!, bound: TEST_BOUND, hashCompact: true };
  const { result, group, levels } = await simulatedExplore(options, 3, seeded(4), 4);
  assert.equal(result.verdict, 'no violation within the bound');
  assert.ok(levels > 40, `${levels} levels`);
  assert.ok(chunksTaken(group.shared) <= 7, `${chunksTaken(group.shared)} chunks taken`);
  // The exact search keeps every state: its chunks are the threads' own, filled across levels.
  const exact = await simulatedExplore({ ...options, hashCompact: false }, 3, seeded(4), 4);
  assert.ok(chunksTaken(exact.group.shared) <= 4);
});

test('the free chunks are those of the levels before the one expanded, never its own', () => {
  // Six chunks marked with the level of their states: 0 (the initial state's), 1, 2, 2, 3, 1 (a
  // seventh word past the chunks taken is not looked at). Before expanding level 2, levels 0 and 1
  // were expanded: chunks 0, 1 and 5 are free; 2 and 3 hold the parents being expanded, 4 a level
  // after them. Before level 0 nothing is free.
  const marks = Int32Array.of(0, 1, 2, 2, 3, 1, 9);
  assert.deepEqual([...freeChunks(marks, 6, 2)], [0, 1, 5]);
  assert.deepEqual([...freeChunks(marks, 6, 0)], []);
});

for (const [name, verdict] of [['never-flush', 'violation'], ['v7', 'no violation within the bound']] as const) {
  test(`${name}: the main thread and a worker thread with hash compaction give the single hash-compaction search's result`, { timeout: 600_000 }, async () => {
    const variant = findPreset(name)!;
    for (const reduce of [undefined, 'symmetry'] as Array<Reduction | undefined>) {
      const want = single({ variant, bound: TEST_BOUND, hashCompact: true, maxMemoryBytes: 256 * MiB, engine: 'packed', ...(reduce ? { reduce } : {}) });
      assert.equal(want.verdict, verdict);
      for (const waitForThreads of [true, false]) {
        const r = await runParallelSearch({ variant, bound: TEST_BOUND, maxMemoryBytes: 256 * MiB, workers: 2, waitForThreads, hashCompact: true, reduce });
        assert.deepEqual(comparable(r), comparable(want), `${name}${reduce ? `, --reduce ${reduce}` : ''}, ${waitForThreads ? 'the thread in every level' : 'the thread joining when started'}`);
      }
    }
  });
}

test('the partitioned search refuses hash compaction rather than ignore it', async () => {
  await assert.rejects(runParallelSearch({ variant: findPreset('v7')!, bound: TEST_BOUND, maxMemoryBytes: 64 * MiB, workers: 2, parallel: 'partitioned', hashCompact: true }), /partitioned search has no hash compaction/);
});

test('hash compaction frees a chunk in its own level once its parents are expanded: small chunks, the single search\'s result, fewer chunks', async () => {
  // Chunks of 2^9 words (about 20 states of v7 at the tests' bound) instead of 2^20: a level spans
  // many chunks, and a searcher needs new chunks in the middle of a level, where the chunks whose
  // parents were all expanded are taken again (SharedSearcher.expanded(), takeFreed()). A chunk
  // freed while a parent of it is still to be expanded would have that parent overwritten by
  // states of the next level: the counts would differ from the single search's.
  for (const name of ['never-flush', 'v7']) {
    const options: ExploreOptions = { variant: findPreset(name)!, bound: TEST_BOUND, hashCompact: true };
    const want = comparable(single({ ...options, engine: 'packed' }));
    for (const n of [1, 2, 3]) {
      const { result } = await simulatedExplore(options, n, seeded(29 + n), 4, false, [], 9);
      assert.deepEqual(comparable(result), want, `${name}, ${n} searchers, chunks of 2^9 words`);
    }
  }
  // The chunks taken: with the chunks of the level being expanded freed as it goes, the store holds
  // about the widest level and the part of the one before not yet expanded, not two whole levels:
  // 182 chunks here (deterministic: the interleaving is seeded), 304 when a chunk is freed only at
  // the next level's start (the mutation: expanded() putting nothing in the list).
  const options: ExploreOptions = { variant: findPreset('v7')!, bound: TEST_BOUND, hashCompact: true };
  const { group } = await simulatedExplore(options, 2, seeded(5), 4, false, [], 9);
  assert.ok(chunksTaken(group.shared) < 240, `${chunksTaken(group.shared)} chunks taken`);
});

test('a level begun after a table grew asks the threads for a collection (SegmentOrder.collect), and only such a level', async () => {
  // The CLI's threads collect their isolate's garbage there (cli/parallel_explore.ts
  // collectGarbage()): a dropped SharedArrayBuffer's memory comes back only once every isolate
  // that saw it collected its handle. With hash compaction both tables grow (the level's within a
  // level, blocks of 1 so that a segment fills it; the old levels' at a level's end); without it
  // the level's table only. Mutation: `grew = true` left out at either growth (a level after it
  // is begun without the flag: collectsWrong counts it).
  for (const hashCompact of [true, false]) {
    const options: ExploreOptions = { variant: findPreset('v7')!, bound: TEST_BOUND, hashCompact };
    const { group } = await simulatedExplore(options, 2, seeded(8), 1);
    assert.ok(group.collects >= 3, `${group.collects} levels with a collection`);
    assert.equal(group.collectsWrong, 0);
  }
});
