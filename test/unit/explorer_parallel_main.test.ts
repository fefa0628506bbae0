/**
 * The shared search as the CLI runs it (cli/parallel_explore.ts runParallelSearch()), in this
 * process: `--workers N` is the main thread as searcher 0 and N - 1 worker threads (started from
 * the TypeScript source here), all over one visited table in shared memory.
 *
 * Why the expected values are the single search's (src/explore/packed/search.ts): whichever
 * thread inserts a state and whenever a thread joins, each new state keeps its least (parent,
 * position) key and every level is numbered in key order (src/explore/packed/shared.ts), which is
 * the single search's order; so the result is the single search's field for field, for every N
 * and whatever the threads' timing (the main thread's slices between turns of its event loop
 * included). Only the clock and the memory held may differ.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runParallelSearch } from '../../cli/parallel_explore';
import type { ExploreOptions } from '../../src/explore/result';
import { findPreset } from '../../src/kernel/variants';
import { TEST_BOUND, singleResult as single, withoutClock as comparable } from './explorer.helpers';

const MiB = 2 ** 20;

for (const [name, verdict] of [['never-flush', 'violation'], ['v7', 'no violation within the bound']] as const) {
  test(`${name}: the main thread and 1 or 2 worker threads give the single search's result, with the threads in every level or joining when started`, { timeout: 600_000 }, async () => {
    const variant = findPreset(name)!;
    const options: ExploreOptions = { variant, bound: TEST_BOUND, maxMemoryBytes: 256 * MiB, engine: 'packed' };
    const want = single(options);
    assert.equal(want.verdict, verdict);
    for (const workers of [2, 3]) {
      for (const waitForThreads of [true, false]) {
        const threadStates: number[] = [];
        const threadLevels: number[] = [];
        const r = await runParallelSearch({ variant, bound: TEST_BOUND, maxMemoryBytes: 256 * MiB, workers, waitForThreads, threadStates, threadLevels });
        const how = `--workers ${workers}, ${waitForThreads ? 'every thread in every level' : 'threads joining when started'}`;
        assert.deepEqual(comparable(r), comparable(want), how);
        // Searcher 0 is the main thread, in every level; the N - 1 others are worker threads.
        assert.equal(threadLevels.length, workers, how);
        assert.ok(threadLevels[0] > 0, how);
        for (let t = 1; t < workers; t++) {
          // Waiting: every worker thread took part in every level. Not waiting: in the levels
          // from the one after it started (possibly none at this small bound), never more.
          if (waitForThreads) assert.equal(threadLevels[t], threadLevels[0], `${how}: thread ${t}`);
          else assert.ok(threadLevels[t] <= threadLevels[0], `${how}: thread ${t}`);
        }
        // Every state but the initial one was inserted by exactly one searcher. At a violation the
        // states counted are those before it in key order, a part of those inserted.
        const inserted = threadStates.reduce((a, b) => a + b, 0);
        if (verdict === 'violation') assert.ok(inserted >= r.states - 1, `${how}: ${inserted} inserted, ${r.states} counted`);
        else assert.equal(inserted, r.states - 1, how);
      }
    }
  });
}

test('a cancel while the main thread searches stops the search as cancelled, with the last counts', { timeout: 600_000 }, async () => {
  // v7 with every page at E = 4 has millions of states: far from done once a level has 1,000.
  // The abort (what the CLI's SIGINT handler does) comes from a timer, so it runs at the main
  // thread's next turn of its event loop: in the next level, which the main thread is searching
  // in slices, or while it waits for the worker thread. Either way the search must stop, the main
  // thread's own searching too, and the result be the last counts, marked cancelled.
  const controller = new AbortController();
  let seen = 0;
  const r = await runParallelSearch({ variant: findPreset('v7')!, bound: { entries: 4, ops: 4, accesses: 2, pages: 'all' }, maxMemoryBytes: 256 * MiB, workers: 2, progressIntervalMs: 0 }, controller.signal, (p) => {
    if (seen === 0 && p.states > 1000) { seen = p.states; setTimeout(() => controller.abort(), 0); }
  });
  assert.ok(seen > 0);
  assert.equal(r.verdict, 'incomplete');
  assert.equal(r.stopped, 'cancelled');
  assert.ok(r.states >= seen, `${r.states} states, ${seen} reported before`);
});
