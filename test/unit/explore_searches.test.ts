/**
 * The Explore view's list and words (src/session/explore_searches.ts, src/view/explore_searches.ts,
 * and searchEnd() in src/view/explore_text.ts): the searches of a window started, reported on,
 * finished and cleared; when a running row may be drawn again; what each row says. The clock is
 * the test's milliseconds; the glue around them is test/unit/explore_extension.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Progress } from '../../src/explore/progress';
import type { ExploreResult } from '../../src/explore/result';
import { DEFAULT_BOUND, describeBound, GUEST_TABLES_BOUND } from '../../src/explore/scope';
import { engineOf } from '../../src/explore/search';
import { VIOLATION_KINDS } from '../../src/model/step';
import { ExploreSearches, SHOW_INTERVAL_MS } from '../../src/session/explore_searches';
import { exploreProgressText } from '../../src/view/explore_progress';
import { searchRow, type SearchEntry } from '../../src/view/explore_searches';
import { searchEnd } from '../../src/view/explore_text';

const MiB = 2 ** 20;
const BOUND = describeBound(DEFAULT_BOUND);

/** A report: depth 9, 1,234,567 states, 512 MiB of a 2 GiB cap, 4.26 s. */
const P: Progress = {
  states: 1_234_567, transitions: 9_999_999, depth: 9, frontier: 5, seconds: 4.26, memoryBytes: 512 * MiB, maxMemoryBytes: 2048 * MiB,
  statesPerSecond: 289_805, recentStatesPerSecond: 312_000,
};

test('the list: newest first, a report only while running, the seconds from start to finish, Clear Finished keeps the running', () => {
  const s = new ExploreSearches();
  const a = s.start('v7', 'packed', BOUND, 1000);
  const b = s.start('never-flush', 'packed', BOUND, 2000);
  assert.deepEqual(s.list().map((e) => e.id), [b.id, a.id]);
  assert.equal(s.report(a.id, P), true);
  assert.equal(s.get(a.id)!.progress, P);
  // a ends at 3,500 ms: 3,500 - 1,000 = 2,500 ms, 2.5 s.
  assert.equal(s.finish(a.id, { kind: 'clean', notReached: 0 }, 3500), true);
  assert.equal(s.get(a.id)!.seconds, 2.5);
  // Once finished, a late report (a worker's last message) and a second ending change nothing.
  assert.equal(s.report(a.id, { ...P, states: 1 }), false);
  assert.equal(s.get(a.id)!.progress!.states, 1_234_567);
  assert.equal(s.finish(a.id, { kind: 'cancelled' }, 9000), false);
  assert.equal(s.get(a.id)!.end!.kind, 'clean');
  assert.equal(s.report(99, P), false, 'an unknown search');
  assert.equal(s.hasFinished, true);
  assert.equal(s.clearFinished(), 1);
  assert.deepEqual(s.list().map((e) => e.id), [b.id]);
  assert.equal(s.hasFinished, false);
  // Ids are not reused after a clear: a Cancel aimed at a cleared row cannot reach a new search.
  assert.equal(s.start('v7', 'core', BOUND, 4000).id, b.id + 1);
});

test('the pace: a row never drawn may be drawn now; after a draw, not before SHOW_INTERVAL_MS (250 ms) has passed', () => {
  const s = new ExploreSearches();
  const a = s.start('v7', 'packed', BOUND, 0);
  const b = s.start('v7', 'packed', BOUND, 0);
  assert.equal(SHOW_INTERVAL_MS, 250);
  assert.equal(s.delay(a.id, 1000), 0);
  s.shown(a.id, 1000);
  // Drawn at 1,000: at 1,100 the next draw is 1,250 - 1,100 = 150 ms away; at 1,250 and after, now.
  assert.equal(s.delay(a.id, 1100), 150);
  assert.equal(s.delay(a.id, 1250), 0);
  assert.equal(s.delay(a.id, 4000), 0);
  // Each row has its own pace: b was never drawn.
  assert.equal(s.delay(b.id, 1100), 0);
  // Another interval (the constructor's): drawn at 0, 1,000 ms apart, so 600 ms left at 400.
  const slow = new ExploreSearches(1000);
  const c = slow.start('v7', 'packed', BOUND, 0);
  slow.shown(c.id, 0);
  assert.equal(slow.delay(c.id, 400), 600);
});

test('a counterexample\'s file is kept on a violation only', () => {
  const s = new ExploreSearches();
  const a = s.start('never-flush', 'packed', BOUND, 0);
  const file = { uri: 'file:///w/.kvm-mmu-lab/counterexamples/never-flush-x.scenario.json', path: '.kvm-mmu-lab/counterexamples/never-flush-x.scenario.json' };
  assert.equal(s.counterexampleWritten(a.id, file), false, 'still running');
  s.finish(a.id, { kind: 'violation', violation: 'stale-tlb', depth: 13 }, 1000);
  assert.equal(s.counterexampleWritten(a.id, file), true);
  assert.deepEqual(searchRow(s.get(a.id)!).counterexample, file);
  const b = s.start('v7', 'packed', BOUND, 0);
  s.finish(b.id, { kind: 'clean', notReached: 0 }, 1000);
  assert.equal(s.counterexampleWritten(b.id, file), false);
});

const entry = (e: Partial<SearchEntry>): SearchEntry => ({ id: 1, variant: 'v7', engine: 'packed', bound: BOUND, ...e });

test('a running row: variant and engine, then the progress line every front end shares; before the first report, "starting…"', () => {
  const fresh = searchRow(entry({}));
  assert.deepEqual({ label: fresh.label, description: fresh.description, state: fresh.state, icon: fresh.icon }, { label: 'v7, packed engine', description: 'starting…', state: 'running', icon: 'loading~spin' });
  const r = searchRow(entry({ engine: 'core', progress: P }));
  assert.equal(r.label, 'v7, core engine');
  // The notification's and the CLI's line (test/unit/explore_progress.test.ts has its arithmetic).
  assert.equal(r.description, 'depth 9, 1,234,567 states, 312,000 states/s (average 289,805), 512 MiB of the 2,048 MiB memory cap (25%), 4.3 s');
  assert.equal(r.description, exploreProgressText(P));
  assert.equal(r.tooltip, `v7, core engine\nBound: ${BOUND}\n${r.description}`);
  assert.equal(r.counterexample, undefined);
});

test('a finished row: the verdict in words and the seconds it took; a click target only with a counterexample', () => {
  const done = (end: SearchEntry['end'], more: Partial<SearchEntry> = {}) => searchRow(entry({ end, seconds: 2.25, progress: P, ...more }));
  // 2.25 s to one decimal: "2.3" (2.25 is exact in binary, and toFixed rounds a half up).
  const file = { uri: 'file:///w/ce.scenario.json', path: 'ce.scenario.json' };
  const v = done({ kind: 'violation', violation: 'stale-tlb', depth: 13, counterexample: file });
  assert.deepEqual({ description: v.description, state: v.state, icon: v.icon }, { description: 'violation: stale TLB entry, a counterexample of 13 transitions; 2.3 s', state: 'violation', icon: 'error' });
  assert.deepEqual(v.counterexample, file);
  assert.match(v.tooltip, /\nCounterexample: ce\.scenario\.json \(click to open it\)$/);
  // Not written (the save dialog declined): the verdict, nothing to open.
  assert.equal(done({ kind: 'violation', violation: 'lost-dirty-page', depth: 9 }).counterexample, undefined);
  const clean = done({ kind: 'clean', notReached: 0 });
  assert.deepEqual([clean.description, clean.state, clean.icon], ['no violation within the bound; 2.3 s', 'clean', 'pass']);
  // Short of a precondition: not shown as a pass (the review view's warning colour, too).
  const one = done({ kind: 'clean', notReached: 1 });
  assert.deepEqual([one.description, one.state, one.icon], ['no violation within the bound; 1 hazard precondition not reached; 2.3 s', 'clean-not-all-reached', 'warning']);
  assert.equal(done({ kind: 'clean', notReached: 2 }).description, 'no violation within the bound; 2 hazard preconditions not reached; 2.3 s');
  const capped = done({ kind: 'incomplete', reason: 'the memory cap of 1 MiB was reached' });
  assert.deepEqual([capped.description, capped.state, capped.icon], ['incomplete: the memory cap of 1 MiB was reached; 2.3 s', 'incomplete', 'warning']);
  // Cancelled: how far it got, from its last report (a worker's cancelled result carries no counts).
  const cancelled = done({ kind: 'cancelled' });
  assert.deepEqual([cancelled.description, cancelled.state, cancelled.icon], ['cancelled at depth 9, after 1,234,567 states; 2.3 s', 'cancelled', 'circle-slash']);
  assert.equal(done({ kind: 'cancelled' }, { progress: undefined }).description, 'cancelled; 2.3 s');
});

test('no identifier of the model in a row: every violation kind in words, no camelCase, no kebab-case kind', () => {
  for (const kind of VIOLATION_KINDS) {
    const r = searchRow(entry({ end: { kind: 'violation', violation: kind, depth: 3 }, seconds: 1 }));
    const words = `${r.label} ${r.description}`;
    // A one-word kind ("structure") is a word; the hyphenated ones are identifiers.
    if (kind.includes('-')) assert.ok(!words.includes(kind), `${kind} shows as its identifier: ${words}`);
    assert.ok(!/\b[a-z]+[A-Z]\w*/.test(words), `camelCase in ${words}`);
  }
});

test('rows go through the translation, each message with its places', () => {
  const seen: string[] = [];
  const t = (m: string, ...args: (string | number)[]) => { seen.push(m); return `«${m}»${args.length ? `(${args.join('|')})` : ''}`; };
  const r = searchRow(entry({ end: { kind: 'violation', violation: 'rmap-disagreement', depth: 5 }, seconds: 1 }), t);
  assert.deepEqual(seen, ['{0}, packed engine', 'Bound: {0}', 'rmap disagreement', 'violation: {0}, a counterexample of {1} transitions', '{0}; {1} s']);
  assert.equal(r.description, '«{0}; {1} s»(«violation: {0}, a counterexample of {1} transitions»(«rmap disagreement»|5)|1.0)');
});

/** A result of the default bound with these fields. */
const result = (r: Partial<ExploreResult>): ExploreResult => ({
  variant: 'v7', bound: DEFAULT_BOUND, boundText: BOUND, verdict: 'no violation within the bound', states: 10, transitions: 20, depth: 4, seconds: 1, statesPerSecond: 10, peakMemoryBytes: 0, ...r,
});

test('searchEnd: a result as the row tells it', () => {
  const violation = { kind: 'stale-tlb' as const, vcpu: 0, gfn: 0, step: 12, message: 'm' };
  // A violation's depth is its counterexample's length in transitions (the result's depth).
  assert.deepEqual(searchEnd(result({ verdict: 'violation', violation, depth: 13 })), { kind: 'violation', violation: 'stale-tlb', depth: 13 });
  // Cancelled, by the search itself or by the worker's cancelled result: apart from the other stops.
  assert.deepEqual(searchEnd(result({ verdict: 'incomplete', stopped: 'cancelled' })), { kind: 'cancelled' });
  assert.deepEqual(searchEnd(result({ verdict: 'incomplete', stopped: 'state cap of 5 states reached' })), { kind: 'incomplete', reason: 'state cap of 5 states reached' });
  // Clean: the preconditions it did not reach are counted (two of three here).
  const reached = [
    { goal: 'eager-split' as const, reached: true, text: 'a' },
    { goal: 'fault-in-split-window' as const, reached: false, text: 'b' },
    { goal: 'reused-child' as const, reached: false, text: 'c' },
  ];
  assert.deepEqual(searchEnd(result({ reached })), { kind: 'clean', notReached: 2 });
  assert.deepEqual(searchEnd(result({})), { kind: 'clean', notReached: 0 });
});

test('engineOf: the packed engine unless the core, an audit or --until is asked for (what the workbench\'s search gets: packed)', () => {
  assert.equal(engineOf({}), 'packed');
  assert.equal(engineOf({ engine: 'packed' }), 'packed');
  assert.equal(engineOf({ engine: 'core' }), 'core');
  assert.equal(engineOf({ audit: true }), 'core');
  assert.equal(engineOf({ until: 'use-after-free' }), 'core');
  // The guest-tables scope's too (since 2026-12-07): a bound of that scope with nothing asked is packed.
  assert.equal(engineOf({ bound: GUEST_TABLES_BOUND }), 'packed');
  assert.equal(engineOf({ bound: GUEST_TABLES_BOUND, engine: 'core' }), 'core');
});
