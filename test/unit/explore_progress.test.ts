/**
 * A running search's progress (src/explore/progress.ts, src/view/explore_progress.ts): the rate
 * worked out from the counts and a fake clock's seconds, the memory every engine reports being
 * the figure its cap stops it at, and the one wording the CLI and the workbench share.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressMeter, RATE_INTERVAL_SECONDS, type Progress, type SearchCounts } from '../../src/explore/progress';
import { Search } from '../../src/explore/search';
import { GUEST_TABLES_BOUND } from '../../src/explore/scope';
import { parseVariant } from '../../src/kernel/variants';
import { memoryCapMessage } from '../../src/model/errors';
import { capPercent, exploreProgressText } from '../../src/view/explore_progress';
import { TEST_BOUND } from './explorer.helpers';

const MiB = 2 ** 20;

/** Counts at a fake clock's second: only states and seconds matter to the rate. */
const at = (seconds: number, states: number): SearchCounts => ({ states, transitions: 0, depth: 0, frontier: 0, seconds, memoryBytes: 0 });

test('the rate: the whole search\'s states / seconds, and the last whole interval\'s (here 1 s) from the report that ended the one before', () => {
  const meter = new ProgressMeter(1);
  const rates = (p: Progress) => [p.statesPerSecond, p.recentStatesPerSecond];
  // Nothing has run: no time to divide by, so 0, not Infinity.
  assert.deepEqual(rates(meter.report(at(0, 1))), [0, 0]);
  // 0.5 s, 1,000 states: 1,000 / 0.5 = 2,000 a second; no interval of 1 s is over, so the recent rate is the whole one.
  assert.deepEqual(rates(meter.report(at(0.5, 1000))), [2000, 2000]);
  // 1.0 s, 3,000 states: the first interval (0 to 1.0 s) is over: 3,000 / 1.0 = 3,000 both.
  assert.deepEqual(rates(meter.report(at(1.0, 3000))), [3000, 3000]);
  // 1.5 s, 4,000 states: whole 4,000 / 1.5 = 2,666.7, rounded 2,667; the interval from 1.0 s is
  // 0.5 s, not over, so the recent rate stays the last interval's 3,000.
  assert.deepEqual(rates(meter.report(at(1.5, 4000))), [2667, 3000]);
  // 2.5 s, 4,500 states (the search slowed down): whole 4,500 / 2.5 = 1,800; the interval from
  // 1.0 s (3,000 states) is 1.5 s: (4,500 - 3,000) / 1.5 = 1,000.
  assert.deepEqual(rates(meter.report(at(2.5, 4500))), [1800, 1000]);
  // The counts pass through unchanged.
  const c = { states: 7, transitions: 9, depth: 2, frontier: 3, seconds: 3.5, memoryBytes: 12, maxMemoryBytes: 34 };
  assert.deepEqual({ ...meter.report(c), statesPerSecond: 0, recentStatesPerSecond: 0 }, { ...c, statesPerSecond: 0, recentStatesPerSecond: 0 });
});

test('the default interval (half a second): CLI lines a second of wall clock apart, a little less of search time, each end one', () => {
  const meter = new ProgressMeter();
  assert.equal(RATE_INTERVAL_SECONDS, 0.5);
  // Lines after 0.95, 1.9 and 2.85 s of search time (each second of wall clock less the yields):
  // each span (0.95 s) is at least 0.5 s, so each line's recent rate is its own span's.
  assert.equal(meter.report(at(0.95, 95_000)).recentStatesPerSecond, 100_000); // 95,000 / 0.95
  assert.equal(meter.report(at(1.9, 152_000)).recentStatesPerSecond, 60_000); // 57,000 / 0.95
  assert.equal(meter.report(at(2.85, 247_000)).recentStatesPerSecond, 100_000); // 95,000 / 0.95
});

/** Every engine, and the guest-tables scope (the core engine's other model). */
const ENGINES = [
  { name: 'core', options: { bound: TEST_BOUND, engine: 'core' as const } },
  { name: 'packed', options: { bound: TEST_BOUND, engine: 'packed' as const } },
  { name: 'packed, hash compaction', options: { bound: TEST_BOUND, engine: 'packed' as const, hashCompact: true } },
  { name: 'guest-tables scope (core)', options: { bound: GUEST_TABLES_BOUND, engine: 'core' as const } },
];

for (const { name, options } of ENGINES) {
  test(`${name}: the memory a search reports is the figure its cap is compared with, and the cap is reported`, () => {
    // The host's measure (the CLI's heap) stands at 300 MiB: above the packed store's few MiB, so
    // the packed engine's measure (the larger of the two) is it too. A clock that stands still:
    // run(0) returns at its first check of the time, a slice of a few states.
    const host = 300 * MiB;
    const base = { variant: parseVariant('v7'), now: () => 0, memoryUsed: () => host, ...options };
    const s = new Search({ ...base, maxMemoryBytes: 1024 * MiB });
    assert.equal(s.run(0), false);
    const p = s.progress();
    assert.equal(p.memoryBytes, host);
    assert.equal(p.maxMemoryBytes, 1024 * MiB);
    assert.ok(p.states >= 1 && p.seconds === 0, `${p.states} states in 0 s of the fake clock`);
    // The same figure stops the search at a cap one byte below it, with the cap's message.
    const capped = new Search({ ...base, maxMemoryBytes: host - 1 });
    while (!capped.run(0));
    assert.equal(capped.result().stopped, memoryCapMessage(host, host - 1));
  });
}

test('without a host\'s measure: the core engine reports its own estimate and no cap; the packed engine its store and its default cap', () => {
  const core = new Search({ variant: parseVariant('v7'), bound: TEST_BOUND, engine: 'core', now: () => 0 });
  core.run(0);
  const c = core.progress();
  assert.equal(c.maxMemoryBytes, undefined);
  assert.ok(c.memoryBytes > 0);
  const packed = new Search({ variant: parseVariant('v7'), bound: TEST_BOUND, engine: 'packed', now: () => 0 });
  packed.run(0);
  // DEFAULT_MAX_BYTES: 2 GiB (src/explore/packed/search.ts).
  assert.equal(packed.progress().maxMemoryBytes, 2 * 1024 * MiB);
});

/** A progress record: 9 levels, 1,234,567 states, 512 MiB of a 2 GiB cap, 4.26 s. */
const P: Progress = {
  states: 1_234_567, transitions: 9_999_999, depth: 9, frontier: 5, seconds: 4.26, memoryBytes: 512 * MiB, maxMemoryBytes: 2048 * MiB,
  statesPerSecond: 289_805, recentStatesPerSecond: 312_000,
};

test('the progress line: depth, states, the recent rate and the average, memory against the cap in percent, seconds', () => {
  // 512 / 2,048 = 25 %; 4.26 s to one decimal is 4.3.
  assert.equal(exploreProgressText(P), 'depth 9, 1,234,567 states, 312,000 states/s (average 289,805), 512 MiB of the 2,048 MiB memory cap (25%), 4.3 s');
  assert.equal(exploreProgressText({ ...P, maxMemoryBytes: undefined }), 'depth 9, 1,234,567 states, 312,000 states/s (average 289,805), 512 MiB (no memory cap), 4.3 s');
  // A translation gets the message and its places (the extension passes vscode.l10n.t).
  const seen: unknown[][] = [];
  exploreProgressText(P, (m, ...args) => { seen.push([m, ...args]); return m; });
  assert.deepEqual(seen, [['depth {0}, {1} states, {2} states/s (average {3}), {4} of the {5} memory cap ({6}%), {7} s', '9', '1,234,567', '312,000', '289,805', '512 MiB', '2,048 MiB', 25, '4.3']]);
});

test('the share of the cap rounds down: a running search, which stops when over the cap, never shows 100%', () => {
  // 2,047.9 of 2,048 MiB is 99.995 %: 99, not 100.
  assert.equal(capPercent(2047.9 * MiB, 2048 * MiB), 99);
  assert.equal(capPercent(2048 * MiB, 2048 * MiB), 100);
  assert.equal(capPercent(0, 2048 * MiB), 0);
});
