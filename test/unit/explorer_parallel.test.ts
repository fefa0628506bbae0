/**
 * The partitioned search (src/explore/packed/parallel.ts, shard.ts, partition.ts) without threads:
 * N shards in one thread (InThreadShards), exchanging their successors as the worker threads do.
 *
 * Why the expected values are the single search's own (src/explore/packed/search.ts): the single
 * search numbers a level's states by (parent's number, candidate position) of the first
 * transition that reaches them, and stops at the first violating transition in that order; the
 * shards number every level by the least such key over all copies, whichever shard and whichever
 * order they arrive in (partition.ts). So for any N the counts, the depth, the goals, the chain of
 * parents and so the counterexample must be the single search's, exactly, and at a violation the
 * states and transitions counted before it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globalRanks, keySpan, leastViolation, orderKey, ownerOf, sortByKey } from '../../src/explore/packed/partition';
import { InThreadShards, parallelExplore } from '../../src/explore/packed/parallel';
import type { ExploreOptions } from '../../src/explore/result';
import { findPreset } from '../../src/kernel/variants';
import { TEST_BOUND, seeded, singleResult as single, withoutClock as comparable } from './explorer.helpers';

test('ownerOf splits hashes by their top bits, each shard an equal range', () => {
  // 0x00000000..0x7fffffff go to shard 0 of 2, 0x80000000.. to shard 1 (as int32: negative).
  assert.equal(ownerOf(0x7fffffff, 2), 0);
  assert.equal(ownerOf(0x80000000 | 0, 2), 1);
  assert.equal(ownerOf(-1, 3), 2);
  assert.equal(ownerOf(0, 3), 0);
  // Low bits do not choose the shard (the shard's own table uses them for its slots).
  assert.equal(ownerOf(1, 2), ownerOf(0, 2));
});

test('keys order transitions by parent number, then candidate position', () => {
  const span = keySpan(100);
  assert.equal(span, 128);
  assert.ok(orderKey(5, 127, span) < orderKey(6, 0, span));
  assert.equal(keySpan(128), 256, 'position 128 must fit below the span');
  // Three children of parent 10, two of parent 11, one of 12 (parents 10..12), shuffled.
  const keys = new Float64Array([orderKey(11, 4, span), orderKey(10, 7, span), orderKey(12, 0, span), orderKey(10, 2, span), orderKey(11, 1, span), orderKey(10, 3, span)]);
  const out = new Int32Array(6);
  const sorted = new Float64Array(6);
  sortByKey(keys, 6, span, 10, 3, new Int32Array(4), out, sorted);
  assert.deepEqual([...out], [3, 5, 1, 4, 0, 2]);
  // The keys themselves in that order: parent 10's positions 2, 3, 7, parent 11's 1, 4, parent 12's 0.
  assert.deepEqual([...sorted], [orderKey(10, 2, span), orderKey(10, 3, span), orderKey(10, 7, span), orderKey(11, 1, span), orderKey(11, 4, span), orderKey(12, 0, span)]);
});

test('globalRanks counts the keys below each key in every shard', () => {
  // Shard A holds keys 1, 4, 9; shard B 2, 3; shard C 7. Level starts at number 100.
  const ranks = new Int32Array(3);
  globalRanks(100, new Float64Array([1, 4, 9]), [new Float64Array([2, 3]), new Float64Array([7])], ranks);
  assert.deepEqual([...ranks], [100, 103, 105]);
});

test('leastViolation takes the least (parent number, position)', () => {
  assert.deepEqual(leastViolation([null, { parent: 9, position: 0 }, { parent: 7, position: 5 }, { parent: 7, position: 2 }]), { parent: 7, position: 2 });
  assert.equal(leastViolation([null, null]), null);
});


for (const [name, verdict, depth] of [['never-flush', 'violation', 13], ['v7', 'no violation within the bound', 0], ['pre-patch', 'no violation within the bound', 0]] as const) {
  test(`${name}: 1, 2 and 3 shards give the single search's result exactly`, async () => {
    const options: ExploreOptions = { variant: findPreset(name)!, bound: TEST_BOUND };
    const want = single(options);
    // The single search's own verdict at the tests' bound (docs/explorer.md: never-flush's
    // shortest counterexample is 13 transitions; v7 and pre-patch are clean).
    assert.equal(want.verdict, verdict);
    if (depth) assert.equal(want.depth, depth);
    for (const n of [1, 2, 3]) {
      const got = await parallelExplore(options, new InThreadShards(options, n));
      assert.deepEqual(comparable(got), comparable(want), `${n} shards`);
    }
    // Batches absorbed in another order: the least key still wins.
    const shuffled = await parallelExplore(options, new InThreadShards(options, 3, seeded(7)));
    assert.deepEqual(comparable(shuffled), comparable(want), '3 shards, shuffled batches');
  });
}

test('outbox buffers given back after they are read are filled again without corrupting a record', async () => {
  // Outboxes of 64 words hold two or three records (a record is 5 words of header and the
  // state's words: 29 at most at E = 2), so thousands of batches go between shards, each buffer
  // given back to its sender after the receiver read it (InThreadShards absorbs every batch of a
  // level after every shard expanded, then recycles it). A buffer filled again before its records
  // were read would change a key or a state and so the counts or the counterexample: the result
  // must still be the single search's, field for field.
  for (const name of ['never-flush', 'v7']) {
    const options: ExploreOptions = { variant: findPreset(name)!, bound: TEST_BOUND };
    const want = single(options);
    for (const n of [2, 3]) {
      const group = new InThreadShards(options, n, undefined, 64);
      const got = await parallelExplore(options, group);
      assert.deepEqual(comparable(got), comparable(want), `${name}, ${n} shards, small outboxes`);
      // And buffers were recycled: far fewer made than sent (a level's batches all wait until
      // every shard expanded, so each shard makes about its widest level's worth).
      const made = group.list.reduce((a, s) => a + s.outboxesMade, 0);
      assert.ok(group.batches > 1000, `${name}: ${group.batches} batches sent`);
      assert.ok(made < group.batches / 2, `${name}, ${n} shards: ${made} buffers made for ${group.batches} batches`);
    }
  }
});

test('the cap on states stops the partitioned search as incomplete', async () => {
  const options: ExploreOptions = { variant: findPreset('v7')!, bound: TEST_BOUND, maxStates: 1000 };
  const r = await parallelExplore(options, new InThreadShards(options, 2));
  assert.equal(r.verdict, 'incomplete');
  assert.match(r.stopped ?? '', /state cap of 1000/);
  assert.ok(r.states >= 1000);
});

test('a shard over its share of the memory budget stops the search, naming the whole budget', async () => {
  // Each of 2 shards may hold 8 MiB (the CLI gives each thread budget / N): a shard's store grows
  // by 4 MiB chunks, so --pages all at E = 4 (millions of states) crosses it within a few levels.
  const options: ExploreOptions = { variant: findPreset('v7')!, bound: { entries: 4, ops: 4, accesses: 2, pages: 'all' }, maxMemoryBytes: 8 * 2 ** 20 };
  const r = await parallelExplore(options, new InThreadShards(options, 2));
  assert.equal(r.verdict, 'incomplete');
  assert.match(r.stopped ?? '', /the cap is 16 MiB \(2 threads, each at most an equal share\)/);
});
